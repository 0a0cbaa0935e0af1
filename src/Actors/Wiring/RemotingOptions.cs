namespace Orchestrator.Actors.Wiring;

/// <summary>How a node talks to its peers; frame and socket buffers rise together (a message over the frame is dropped, a small buffer starves a frame).</summary>
/// <param name="Hostname">Address to bind; loopback unless asked otherwise.</param>
/// <param name="Port">0 picks a free port.</param>
/// <param name="MaximumFrameSize">Bytes; the largest message (a precopy chunk with its header) must fit.</param>
/// <param name="SocketBufferSize">Bytes, for both directions.</param>
/// <param name="Throttler">Akka's throttler (<c>trttl</c>): in-process drills blackhole and heal links; all nodes must agree (it changes the protocol).</param>
public sealed record RemotingOptions(
    string Hostname = "127.0.0.1",
    int Port = 0,
    int MaximumFrameSize = 4 * 1024 * 1024,
    int SocketBufferSize = 8 * 1024 * 1024,
    bool Throttler = false);
