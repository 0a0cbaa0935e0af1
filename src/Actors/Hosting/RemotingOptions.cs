namespace Orchestrator.Actors.Hosting;

/// <summary>
/// How a node talks to its peers. Frame size and socket buffers are raised together (Akka.Remote drops a
/// message larger than the frame, and a small socket buffer starves a large frame).
/// </summary>
/// <param name="Hostname">Address to bind; loopback unless asked otherwise.</param>
/// <param name="Port">0 picks a free port.</param>
/// <param name="Cluster">The node is a cluster member (Akka.Cluster's provider); otherwise plain remoting.</param>
/// <param name="StandardErrorLog">Akka's log on stderr; a node bridges it to Microsoft.Extensions.Logging instead.</param>
/// <param name="HeartbeatPause">
/// Cluster only: how long a peer's heartbeats may be missing before it is unreachable. Heartbeats share
/// the association with precopy chunks (head-of-line blocking), so this must outlast a full credit window
/// on the slowest link; see docs/cluster.md.
/// </param>
/// <param name="DownAfter">Cluster only: the split-brain resolver's stable-after; an unreachable member is downed after this.</param>
/// <param name="FaultInjection">
/// Akka's throttler transport adapter (<c>trttl</c>) under remoting, so drills can blackhole, slow and heal
/// links. Every node of a cluster must agree: the adapter changes the addresses' protocol.
/// </param>
public sealed record RemotingOptions(
    string Hostname = "127.0.0.1",
    int Port = 0,
    int MaximumFrameSize = 4 * 1024 * 1024,
    int SocketBufferSize = 8 * 1024 * 1024,
    string LogLevel = "WARNING",
    bool Batching = false,
    bool Cluster = false,
    bool StandardErrorLog = true,
    TimeSpan? HeartbeatPause = null,
    TimeSpan? DownAfter = null,
    bool FaultInjection = false)
{
    public static readonly TimeSpan DefaultHeartbeatPause = TimeSpan.FromSeconds(8);
    public static readonly TimeSpan DefaultDownAfter = TimeSpan.FromSeconds(15);
}
