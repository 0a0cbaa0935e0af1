namespace Orchestrator.Actors.Precopy;

/// <summary>What one device stream has moved: written only by its streamer, read by the same node's migration loop, so interlocked counters suffice.</summary>
internal sealed class StreamCounters
{
    private long _precopyBytes;
    private long _downtimeBytes;
    private int _maxInFlight;

    public long PrecopyBytes => Interlocked.Read(ref _precopyBytes);
    public long DowntimeBytes => Interlocked.Read(ref _downtimeBytes);
    public long Transferred => PrecopyBytes + DowntimeBytes;
    public int MaxInFlight => Volatile.Read(ref _maxInFlight);

    internal void Sent(long bytes, bool vmStopped, int inFlight)
    {
        if (vmStopped)
            Interlocked.Add(ref _downtimeBytes, bytes);
        else
            Interlocked.Add(ref _precopyBytes, bytes);
        if (inFlight > _maxInFlight)
            Volatile.Write(ref _maxInFlight, inFlight);
    }
}
