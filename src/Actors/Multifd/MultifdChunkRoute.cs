namespace Orchestrator.Actors.Multifd;

/// <summary>One device stream's chunks spread over the migration's channels, each frame naming the device and its sequence number.</summary>
/// <param name="window">The stream's window: never more of its chunks in flight, so a ring of that size remembers which lane carries each.</param>
internal sealed class MultifdChunkRoute(MultifdChannels channels, ushort device, int window) : IChunkRoute
{
    private readonly int[] _carriedBy = new int[window];

    public bool TryReserve(IActorRef streamer, out int lane) => channels.TryReserve(streamer, out lane);

    public void Unreserve(int lane) => channels.Release(lane, progress: false);

    public void Send(int lane, long seq, DeviceChunk chunk, IActorRef streamer)
    {
        _carriedBy[seq % _carriedBy.Length] = lane;
        channels[channels.ChannelOf(lane)].Enqueue(device, seq, chunk);
    }

    public void Loaded(long seq) => channels.Release(_carriedBy[seq % _carriedBy.Length]);

    public bool WatchesStalls => true;
}
