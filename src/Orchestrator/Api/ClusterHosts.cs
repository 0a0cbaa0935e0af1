using Akka.Actor;
using Akka.Cluster;
using Orchestrator.Actors.Host;
using Akka.Hosting;
using Orchestrator.Actors.Wiring;
using Orchestrator.Node;

namespace Orchestrator.Api;

/// <summary>A cluster member that hosts VMs, as the API sees it.</summary>
/// <param name="Status"><c>joining</c>, <c>up</c>, <c>leaving</c>, <c>exiting</c>, <c>down</c>, <c>removed</c> or <c>unreachable</c>.</param>
public sealed record HostMember(string Name, Address Address, string Status)
{
    public bool Reachable => Status is "up" or "joining" or "leaving";
}

/// <summary>
/// Finds hosts and VMs across the cluster for the API: hosts from membership (their names are
/// roles), VMs by asking every reachable host. Every ask has a bound.
/// </summary>
public sealed class ClusterHosts(IServiceProvider services)
{
    public static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(5);

    private ActorSystem System => services.GetRequiredService<ActorSystem>();

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

    /// <summary>The fleet coordinator admits migrations one at a time and asks hosts itself: give it longer.</summary>
    public static readonly TimeSpan FleetTimeout = TimeSpan.FromSeconds(20);

    public Task<object> AskFleet(object message) =>
        services.GetRequiredService<ActorRegistry>().Get<FleetKey>().Ask<object>(message, FleetTimeout);

    /// <summary>For a lookup that can do without the fleet (it may be moving to another node): null when it does not answer.</summary>
    public async Task<object?> TryAskFleet(object message)
    {
        try
        {
            return await services.GetRequiredService<ActorRegistry>().Get<FleetKey>().Ask<object>(message, AskTimeout);
        }
        catch (AskTimeoutException)
        {
            return null;
        }
    }

    public Task<object> Ask(HostMember host, object message) =>
        System.ActorSelection(HostProtocol.PathOn(host.Address)).Ask<object>(message, AskTimeout);

    /// <summary>Every reachable host's VM list; a host that does not answer in time is left out.</summary>
    public async Task<IReadOnlyList<(HostMember Host, HostProtocol.VmList List)>> VmLists()
    {
        var hosts = Members().Where(m => m.Reachable).ToArray();
        var answers = await Task.WhenAll(hosts.Select(async h =>
        {
            try
            {
                return (Host: h, List: await Ask(h, HostProtocol.ListVms.Instance) as HostProtocol.VmList);
            }
            catch (AskTimeoutException)
            {
                return (Host: h, List: null);
            }
        }));
        return answers.Where(a => a.List is not null).Select(a => (a.Host, a.List!)).ToArray();
    }

    /// <summary>The host a VM runs on, or null.</summary>
    public async Task<(HostMember Host, HostProtocol.VmSummary Vm)?> FindVm(string name) => (await LookupVm(name)).Found;

    /// <summary>Where a VM runs; when it is not found, which hosts could not be asked (so "not found" is not certain).</summary>
    public sealed record VmLookup((HostMember Host, HostProtocol.VmSummary Vm)? Found, IReadOnlyList<string> Silent);

    public async Task<VmLookup> LookupVm(string name)
    {
        var lists = await VmLists();
        foreach (var (host, list) in lists)
        {
            if (list.Vms.FirstOrDefault(v => v.Name == name) is { } vm)
                return new VmLookup((host, vm), []);
        }
        return new VmLookup(null, Silent(lists.Select(l => l.Host.Name)));
    }

    /// <summary>Members that gave no answer: unreachable, or too slow.</summary>
    public IReadOnlyList<string> Silent(IEnumerable<string> answered)
    {
        var heard = answered.ToHashSet();
        return Members().Where(m => !heard.Contains(m.Name)).Select(m => m.Name).ToArray();
    }

    /// <summary>Every reachable host's answer to one message, in parallel; hosts that time out are left out.</summary>
    public async Task<IReadOnlyList<(HostMember Host, object Answer)>> AskAll(object message)
    {
        var hosts = Members().Where(m => m.Reachable).ToArray();
        var answers = await Task.WhenAll(hosts.Select(async h =>
        {
            try
            {
                return (Host: h, Answer: (object?)await Ask(h, message));
            }
            catch (AskTimeoutException)
            {
                return (Host: h, Answer: null);
            }
        }));
        return answers.Where(a => a.Answer is not null).Select(a => (a.Host, a.Answer!)).ToArray();
    }

    /// <summary>
    /// One message to one host only, by name: this node's own VM host through its local reference (so it
    /// answers whatever the links do), another host through membership. Null when no such host is known.
    /// </summary>
    public async Task<object?> AskOnly(string host, object message)
    {
        var settings = services.GetRequiredService<NodeSettings>();
        if (host == settings.Name)
            return await services.GetRequiredService<ActorRegistry>().Get<VmHostKey>().Ask<object>(message, AskTimeout);
        return Host(host) is { } member ? await Ask(member, message) : null;
    }
}
