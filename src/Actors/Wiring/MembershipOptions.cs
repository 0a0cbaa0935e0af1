using Akka.Actor;

namespace Orchestrator.Actors.Wiring;

/// <summary>How a member finds, watches and downs its peers (keep-majority); docs/cluster.md has the defaults, drills shorten them.</summary>
/// <param name="Seeds">Nodes to join at start (a first node lists itself); empty: the caller joins (a drill's in-process cluster).</param>
/// <param name="HeartbeatPause">
/// Silence tolerated before a peer is unreachable. Heartbeats share the association with precopy chunks
/// (head-of-line blocking), so this must outlast a full credit window on the slowest link.
/// </param>
/// <param name="DownAfter">How long the unreachable set must be stable before keep-majority downs it (stable-after).</param>
/// <param name="ShutdownOnTerminate">
/// Whether terminating the ActorSystem runs coordinated shutdown (leave the cluster first). Off in drills:
/// terminating is then a crash (no leave, no cancelled migrations); a downed member still runs its shutdown.
/// </param>
public sealed record MembershipOptions(
    IReadOnlyList<Address> Seeds,
    TimeSpan HeartbeatPause,
    TimeSpan DownAfter,
    bool ShutdownOnTerminate = true)
{
    public static readonly TimeSpan DefaultDownAfter = TimeSpan.FromSeconds(15);
}
