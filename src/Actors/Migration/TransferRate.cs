namespace Orchestrator.Actors.Migration;

/// <summary>
/// The migration's measured bandwidth, as QEMU's migration_update_counters measures it: the bytes sent
/// over a window of at least one tick (QEMU's BUFFER_DELAY). A shorter window, such as two ticks that a
/// busy mailbox delivers back to back, holds a chunk or two in a millisecond and would read as gigabits:
/// the switchover would then start with far more pending than the link can move within downtime-limit.
/// Such a window is folded into the next one instead.
/// </summary>
internal sealed class TransferRate
{
    private readonly long _minWindowMs;
    private long _startMs;
    private long _startBytes;
    private long _startRamBytes;

    public TransferRate(TimeSpan minWindow) => _minWindowMs = Math.Max(1, (long)minWindow.TotalMilliseconds);

    /// <summary>Bytes per millisecond over the last whole window; 0 before the first.</summary>
    public double BytesPerMs { get; private set; }

    public double Mbps => BytesPerMs * 8 * 1000 / 1_000_000;

    public long PagesPerSecond { get; private set; }

    public void Start(long nowMs, long bytes, long ramBytes) => (_startMs, _startBytes, _startRamBytes) = (nowMs, bytes, ramBytes);

    /// <summary>Ends the window if it is long enough (then true); otherwise it goes on.</summary>
    public bool Sample(long nowMs, long bytes, long ramBytes)
    {
        var window = nowMs - _startMs;
        if (window < _minWindowMs)
            return false;
        BytesPerMs = (bytes - _startBytes) / (double)window;
        PagesPerSecond = (long)((ramBytes - _startRamBytes) / 4096.0 * 1000 / window);
        Start(nowMs, bytes, ramBytes);
        return true;
    }

    /// <summary>
    /// What the switchover decision assumes the link moves per millisecond: avail-switchover-bandwidth when
    /// set, else the measured rate, never above max-bandwidth (what precopy may use is all it has shown).
    /// </summary>
    public double ForSwitchover(MigrationParameters parameters)
    {
        if (parameters.AvailSwitchoverBandwidth > 0)
            return parameters.AvailSwitchoverBandwidth / 1000.0;
        return parameters.MaxBandwidth > 0 ? Math.Min(BytesPerMs, parameters.MaxBandwidth / 1000.0) : BytesPerMs;
    }
}
