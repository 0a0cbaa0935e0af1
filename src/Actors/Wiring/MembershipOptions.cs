namespace Orchestrator.Actors.Wiring;

/// <summary>How a member finds, watches and downs its peers (keep-majority); docs/cluster.md has the defaults, drills shorten them.</summary>
/// <param name="Seeds">Nodes to join at start (a first node lists itself); empty: the caller joins (a drill's in-process cluster).</param>
/// <param name="HeartbeatPause">Silence before unreachable; heartbeats wait behind precopy chunks: it must outlast the slowest link's credit window.</param>
/// <param name="DownAfter">How long the unreachable set must be stable before keep-majority downs it (stable-after).</param>
/// <param name="ShutdownOnTerminate">Terminating runs coordinated shutdown (leave first); off in drills: a crash (a downed member still runs it).</param>
public sealed record MembershipOptions(
    IReadOnlyList<Address> Seeds,
    TimeSpan HeartbeatPause,
    TimeSpan DownAfter,
    bool ShutdownOnTerminate = true)
{
    public static readonly TimeSpan DefaultDownAfter = TimeSpan.FromSeconds(15);
}
