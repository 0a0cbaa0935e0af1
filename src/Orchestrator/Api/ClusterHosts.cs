using Akka.Cluster;
using Orchestrator.Node;

namespace Orchestrator.Api;

/// <summary>A cluster member that hosts VMs, as the API sees it.</summary>
/// <param name="Status"><c>joining</c>, <c>up</c>, <c>leaving</c>, <c>exiting</c>, <c>down</c>, <c>removed</c> or <c>unreachable</c>.</param>
public sealed record HostMember(string Name, Address Address, string Status)
{
    public bool Reachable => Status is "up" or "joining" or "leaving";
}

/// <summary>The API's view of the cluster: hosts from membership (names travel as roles), VMs by asking every reachable host; every ask is bounded.</summary>
public sealed class ClusterHosts(IServiceProvider services)
{
    public static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(5);

    /// <summary>The fleet coordinator admits migrations one at a time and asks hosts itself: give it longer.</summary>
    public static readonly TimeSpan FleetTimeout = TimeSpan.FromSeconds(20);

    private ActorSystem System => services.GetRequiredService<ActorSystem>();

    private ActorRegistry Registry => services.GetRequiredService<ActorRegistry>();

    public IReadOnlyList<HostMember> Members()
    {
        var state = Cluster.Get(System).State;
        return state.Members
            .Select(m => (Member: m, Name: HostRole.NameIn(m.Roles)))
            .Where(m => m.Name is not null)
            .Select(m => new HostMember(m.Name!, m.Member.Address,
                state.Unreachable.Contains(m.Member) ? "unreachable" : m.Member.Status.ToString().ToLowerInvariant()))
            .OrderBy(m => m.Name, StringComparer.Ordinal)
            .ToArray();
    }

    public HostMember? Host(string name) => Members().FirstOrDefault(m => m.Name == name);

    public Task<object> AskFleet(object message) => Registry.Get<FleetKey>().Ask<object>(message, FleetTimeout);

    /// <summary>For a lookup that can do without the fleet (it may be moving to another node): null when it does not answer.</summary>
    public Task<object?> TryAskFleet(object message) => OrNull(Registry.Get<FleetKey>().Ask<object>(message, AskTimeout));

    public Task<object> Ask(HostMember host, object message) =>
        System.ActorSelection(HostProtocol.PathOn(host.Address)).Ask<object>(message, AskTimeout);

    /// <summary>Every reachable host's answer to one message, in parallel; hosts that time out are left out.</summary>
    public async Task<IReadOnlyList<(HostMember Host, object Answer)>> AskAll(object message)
    {
        var hosts = Members().Where(m => m.Reachable).ToArray();
        var answers = await Task.WhenAll(hosts.Select(h => OrNull(Ask(h, message))));
        return hosts.Zip(answers, (host, answer) => (Host: host, Answer: answer)).Where(a => a.Answer is not null).Select(a => (a.Host, a.Answer!)).ToArray();
    }

    /// <summary>Every reachable host's VM list; a host that does not answer in time is left out.</summary>
    public async Task<IReadOnlyList<(HostMember Host, HostProtocol.VmList List)>> VmLists() =>
        (await AskAll(HostProtocol.ListVms.Instance)).Where(a => a.Answer is HostProtocol.VmList).Select(a => (a.Host, (HostProtocol.VmList)a.Answer)).ToArray();

    /// <summary>Where a VM runs; when it is not found, which members gave no answer (so "not found" is not certain).</summary>
    public sealed record VmLookup((HostMember Host, HostProtocol.VmSummary Vm)? Found, IReadOnlyList<string> Silent);

    public async Task<VmLookup> LookupVm(string name)
    {
        var lists = await VmLists();
        foreach (var (host, list) in lists)
        {
            if (list.Vms.FirstOrDefault(v => v.Name == name) is { } vm)
                return new VmLookup((host, vm), []);
        }
        var heard = lists.Select(l => l.Host.Name).ToHashSet();
        return new VmLookup(null, Members().Where(m => !heard.Contains(m.Name)).Select(m => m.Name).ToArray());
    }

    /// <summary>Asks the host <paramref name="vm"/> runs on and maps its answer; 404 (503 while a host is silent) when none has it.</summary>
    public async Task<IResult> OnVmHost(string vm, object message, Func<object, IResult> map)
    {
        var lookup = await LookupVm(vm);
        return lookup.Found is { } found ? map(await Ask(found.Host, message)) : ApiResults.VmMissing(vm, lookup.Silent);
    }

    /// <summary>One message to the named host only (this node's through its local reference, whatever the links do); null for an unknown host.</summary>
    public async Task<object?> AskOnly(string host, object message)
    {
        if (host == services.GetRequiredService<NodeSettings>().Name)
            return await Registry.Get<VmHostKey>().Ask<object>(message, AskTimeout);
        return Host(host) is { } member ? await Ask(member, message) : null;
    }

    private static async Task<object?> OrNull(Task<object> asked)
    {
        try
        {
            return await asked;
        }
        catch (AskTimeoutException)
        {
            return null;
        }
    }
}
