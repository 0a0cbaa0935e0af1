namespace Orchestrator.Actors.Migration;

/// <summary>
/// The migration's measured bandwidth, as QEMU's migration_update_counters measures it: bytes sent over a window of at least one tick
/// (QEMU's BUFFER_DELAY). A shorter window (two ticks a busy mailbox delivers back to back) would read as gigabits and start the
/// switchover with far more pending than the link moves within downtime-limit, so it is folded into the next one.
/// <para>
/// A window in which the streams ran out of data measures the guest's dirty rate, not the link (waiting for switchover acks, the source
/// re-sends only what the guest writes): it may raise what the switchover trusts but never lower it, or a VM that waited for its acks
/// on a fast link would never fit its downtime-limit again (QEMU leaves this case to avail-switchover-bandwidth).
/// </para>
/// </summary>
internal sealed class TransferRate
{
    private readonly long _minWindowMs;
    private long _startMs;
    private long _startBytes;
    private long _startRamBytes;
    private long _startPending;

    public TransferRate(TimeSpan minWindow) => _minWindowMs = Math.Max(1, (long)minWindow.TotalMilliseconds);

    /// <summary>Bytes per millisecond over the last whole window; 0 before the first.</summary>
    public double BytesPerMs { get; private set; }

    /// <summary>Bytes per millisecond the link has shown: the last window that had more to send than it sent, or faster.</summary>
    public double LinkBytesPerMs { get; private set; }

    public double Mbps => BytesPerMs * 8 * 1000 / 1_000_000;

    public long PagesPerSecond { get; private set; }

    /// <param name="pending">Bytes the devices still had to send at <paramref name="nowMs"/>.</param>
    public void Start(long nowMs, long bytes, long ramBytes, long pending) =>
        (_startMs, _startBytes, _startRamBytes, _startPending) = (nowMs, bytes, ramBytes, pending);

    /// <summary>Ends the window if it is long enough (then true); otherwise it goes on.</summary>
    /// <param name="pending">Bytes the devices still have to send now: the next window's backlog.</param>
    public bool Sample(long nowMs, long bytes, long ramBytes, long pending)
    {
        var window = nowMs - _startMs;
        if (window < _minWindowMs)
            return false;
        var sent = bytes - _startBytes;
        BytesPerMs = sent / (double)window;
        PagesPerSecond = (long)((ramBytes - _startRamBytes) / 4096.0 * 1000 / window);
        // Sent less than the backlog it began with: the link (or max-bandwidth) set the pace.
        var saturated = sent < _startPending;
        LinkBytesPerMs = saturated ? BytesPerMs : Math.Max(LinkBytesPerMs, BytesPerMs);
        Start(nowMs, bytes, ramBytes, pending);
        return true;
    }

    /// <summary>Bytes/ms the switchover decision assumes: avail-switchover-bandwidth if set, else the link's shown rate, never above max-bandwidth.</summary>
    public double ForSwitchover(MigrationParameters parameters)
    {
        if (parameters.AvailSwitchoverBandwidth > 0)
            return parameters.AvailSwitchoverBandwidth / 1000.0;
        return parameters.MaxBandwidth > 0 ? Math.Min(LinkBytesPerMs, parameters.MaxBandwidth / 1000.0) : LinkBytesPerMs;
    }
}
