namespace Orchestrator.Actors.Hosting;

/// <summary>
/// How a cluster member watches its peers and downs the unreachable ones (split-brain resolver,
/// keep-majority). The defaults are Akka's; drills shorten them so a crash is acted on within seconds.
/// </summary>
/// <param name="Roles">Cluster roles, e.g. <see cref="HostRole.Of"/> the host's name.</param>
/// <param name="FailureDetectorPause">Silence tolerated before a peer is marked unreachable.</param>
/// <param name="DownAfter">How long the unreachable set must be stable before the resolver downs it.</param>
/// <param name="ShutdownOnTerminate">Whether terminating the ActorSystem runs coordinated shutdown (leave the cluster first).</param>
public sealed record MembershipOptions(
    IReadOnlyList<string> Roles,
    TimeSpan FailureDetectorPause,
    TimeSpan DownAfter,
    bool ShutdownOnTerminate = true)
{
    public static MembershipOptions For(string host) =>
        new([HostRole.Of(host)], TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(20));
}
