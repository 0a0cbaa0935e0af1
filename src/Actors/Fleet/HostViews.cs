using Akka.Cluster;
using Orchestrator.Actors.Wiring;

namespace Orchestrator.Actors.Fleet;

/// <summary>One host as it answered: its capacity and use, and its VMs.</summary>
internal sealed record HostView(string Host, HostProtocol.HostStatus Status, HostProtocol.VmList List);

/// <summary>The cluster's hosts by name (their cluster role), as the fleet and the workflows find and ask them.</summary>
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

    /// <summary>Hosts worth asking about their VMs now: reachable members that are up, joining or leaving.</summary>
    public static Dictionary<string, Address> Askable(Cluster cluster)
    {
        var state = cluster.State;
        return Named(state.Members.Where(m => !state.Unreachable.Contains(m) && m.Status is MemberStatus.Up or MemberStatus.Joining or MemberStatus.Leaving));
    }

    /// <summary>The members that host VMs, by host name, whatever their status.</summary>
    public static Dictionary<string, Address> Named(IEnumerable<Member> members) =>
        members.Select(m => (Name: HostRole.NameIn(m.Roles), m.Address))
            .Where(m => m.Name is not null)
            .GroupBy(m => m.Name!)
            .ToDictionary(g => g.Key, g => g.First().Address);

    /// <summary>
    /// Asks every host at once for its status and VMs: a silent one costs one ask timeout, not one per question, and is left out.
    /// The selections are made on the actor's thread; the asks run off it.
    /// </summary>
    public static async Task<IReadOnlyList<HostView>> Ask(IActorContext context, Dictionary<string, Address> hosts)
    {
        var selections = hosts.Select(h => (Host: h.Key, Selection: context.ActorSelection(HostProtocol.PathOn(h.Value)))).ToArray();
        var answers = await Task.WhenAll(selections.Select(async h =>
        {
            var status = Answer(h.Selection, HostProtocol.GetStatus.Instance);
            var list = Answer(h.Selection, HostProtocol.ListVms.Instance);
            return (h.Host, Status: await status as HostProtocol.HostStatus, List: await list as HostProtocol.VmList);
        }));
        return answers.Where(a => a.Status is not null && a.List is not null).Select(a => new HostView(a.Host, a.Status!, a.List!)).ToArray();
    }

    /// <summary>The answer of <paramref name="target"/> within <paramref name="timeout"/> (<see cref="AskTimeout"/>), or null when none came or there is no one to ask.</summary>
    public static async Task<object?> Answer(ICanTell? target, object question, TimeSpan? timeout = null)
    {
        if (target is null)
            return null;
        try
        {
            return await target.Ask<object>(question, timeout ?? AskTimeout);
        }
        catch (AskTimeoutException)
        {
            return null;
        }
    }
}
