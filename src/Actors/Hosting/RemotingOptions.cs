namespace Orchestrator.Actors.Hosting;

/// <summary>
/// How a node talks to its peers. Frame size and socket buffers are raised together (Akka.Remote drops a
/// message larger than the frame, and a small socket buffer starves a large frame).
/// </summary>
/// <param name="Hostname">Address to bind; loopback unless asked otherwise.</param>
/// <param name="Port">0 picks a free port.</param>
/// <param name="Cluster">The node is a cluster member (Akka.Cluster's provider); otherwise plain remoting.</param>
/// <param name="StandardErrorLog">Akka's log on stderr; a node bridges it to Microsoft.Extensions.Logging instead.</param>
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
    bool FaultInjection = false);
