namespace Orchestrator.Actors.Precopy;

/// <summary>How a source stream's chunks reach its loader: over Akka.Remote (<see cref="RemoteChunkRoute"/>) or multifd channels.</summary>
internal interface IChunkRoute
{
    /// <summary>Room for one more chunk; false when there is none now, and the streamer is pumped when there is.</summary>
    bool TryReserve(IActorRef streamer, out int lane);

    /// <summary>A reservation the stream had nothing to send for.</summary>
    void Unreserve(int lane);

    /// <summary>Sends the chunk and releases its pooled buffer once its bytes are copied out.</summary>
    void Send(int lane, long seq, DeviceChunk chunk, IActorRef streamer);

    /// <summary>The destination loaded chunk <paramref name="seq"/>.</summary>
    void Loaded(long seq);

    /// <summary>The route detects stalls itself, naming where (a multifd channel); the stream then leaves it to the route.</summary>
    bool WatchesStalls { get; }
}

/// <summary>Chunks as Akka messages straight to the loader, which credits the sender: the path without multifd.</summary>
internal sealed class RemoteChunkRoute(MigrationId migration, DeviceName device, IActorRef loader) : IChunkRoute
{
    public bool TryReserve(IActorRef streamer, out int lane)
    {
        lane = 0;
        return true;
    }

    public void Unreserve(int lane) { }

    public void Send(int lane, long seq, DeviceChunk chunk, IActorRef streamer) =>
        loader.Tell(new PrecopyProtocol.Chunk(migration, device, seq, chunk.Payload) { Pooled = chunk }, streamer);

    public void Loaded(long seq) { }

    public bool WatchesStalls => false;
}
