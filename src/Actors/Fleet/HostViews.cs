using Akka.Actor;
using Akka.Cluster;
using Orchestrator.Actors.Host;
using Orchestrator.Actors.Wiring;

namespace Orchestrator.Actors.Fleet;

/// <summary>One host as it answered: its capacity and use, and its VMs.</summary>
internal sealed record HostView(string Host, HostProtocol.HostStatus Status, HostProtocol.VmList List);

/// <summary>The cluster as the fleet coordinator sees it: members by host name, and what the up ones answer.</summary>
internal static class HostViews
{
    /// <summary>How long a host may take to answer a question of the fleet's.</summary>
    public static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(5);

    /// <summary>Hosts that are up and reachable now: those a migration may start between.</summary>
    public static Dictionary<string, Address> Up(Cluster cluster)
    {
        var state = cluster.State;
        return Named(state.Members.Where(m => m.Status == MemberStatus.Up && !state.Unreachable.Contains(m)));
    }

    /// <summary>Hosts still members (up, possibly unreachable for now): one missing here has left the cluster.</summary>
    public static Dictionary<string, Address> Members(Cluster cluster) =>
        Named(cluster.State.Members.Where(m => m.Status is MemberStatus.Up or MemberStatus.Joining or MemberStatus.WeaklyUp or MemberStatus.Leaving));

    private static Dictionary<string, Address> Named(IEnumerable<Member> members) =>
        members.Select(m => (Name: HostRole.NameIn(m.Roles), m.Address))
            .Where(m => m.Name is not null)
            .GroupBy(m => m.Name!)
            .ToDictionary(g => g.Key, g => g.First().Address);

    /// <summary>
    /// Every host asked at once for its status and VMs: a silent host costs one ask timeout, not one per
    /// question, and is left out. The selections are made on the actor's thread; the asks run off it.
    /// </summary>
    public static Task<IReadOnlyList<HostView>> Ask(IActorContext context, Dictionary<string, Address> hosts)
    {
        var selections = hosts.Select(h => (Host: h.Key, Selection: context.ActorSelection(VmHost.PathOn(h.Value)))).ToArray();
        return AskAll(selections);
    }

    private static async Task<IReadOnlyList<HostView>> AskAll((string Host, ActorSelection Selection)[] hosts)
    {
        var answers = await Task.WhenAll(hosts.Select(async h =>
        {
            var status = Answer(h.Selection, HostProtocol.GetStatus.Instance);
            var list = Answer(h.Selection, HostProtocol.ListVms.Instance);
            return (h.Host, Status: await status as HostProtocol.HostStatus, List: await list as HostProtocol.VmList);
        }));
        return answers.Where(a => a.Status is not null && a.List is not null).Select(a => new HostView(a.Host, a.Status!, a.List!)).ToArray();
    }

    /// <summary>The host's answer, or null when it gave none in time.</summary>
    public static async Task<object?> Answer(ActorSelection host, object question)
    {
        try
        {
            return await host.Ask<object>(question, AskTimeout);
        }
        catch (AskTimeoutException)
        {
            return null;
        }
    }
}
