namespace Orchestrator.Actors.Precopy;

/// <summary>
/// How many chunks a stream may have unacknowledged, between a floor and the configured window, set by the queueing delay its chunks
/// meet (delay-based, as LEDBAT): a round trip above the stream's fastest is time queued behind other data. Akka.Remote carries chunks,
/// heartbeats and control messages on one association per node pair, so queued data delays them all (seconds, on a slow link).
/// The window starts at its floor and doubles each round trip (slow start: no full window on an unknown link), shrinks while the delay
/// is above target, then grows by one chunk per window acked below it: the link stays full, the queue ahead of control stays near target.
/// </summary>
internal sealed class SendWindow
{
    private readonly int _max;
    private readonly int _min;
    private readonly long _targetTicks;
    private readonly long[] _sentAt;
    private long _minRtt = long.MaxValue;
    private long? _lastDecreaseAt;
    private int _growth;
    private bool _slowStart = true;

    /// <param name="max">The configured window: never more chunks in flight.</param>
    /// <param name="min">Never fewer, however slow the link: a stream always moves.</param>
    public SendWindow(int max, int min, TimeSpan queueTarget)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(max, 1);
        _max = max;
        _min = Math.Clamp(min, 1, max);
        _targetTicks = queueTarget.Ticks;
        _sentAt = new long[max];
        Size = _min;
    }

    /// <summary>Chunks the stream may have unacknowledged now.</summary>
    public int Size { get; private set; }

    /// <summary>Chunk <paramref name="seq"/> left at <paramref name="nowTicks"/> (at most <c>max</c> are ever unacknowledged).</summary>
    public void Sent(long seq, long nowTicks) => _sentAt[seq % _max] = nowTicks;

    /// <summary>Chunk <paramref name="seq"/> was acknowledged at <paramref name="nowTicks"/>: one round trip measured.</summary>
    public void Acked(long seq, long nowTicks)
    {
        var rtt = Math.Max(0, nowTicks - _sentAt[seq % _max]);
        _minRtt = Math.Min(_minRtt, rtt);
        if (rtt - _minRtt > _targetTicks)
        {
            // Once per round trip: the acks of one queue all say the same thing.
            if (_lastDecreaseAt is not { } last || nowTicks - last >= rtt)
            {
                Size = Math.Max(_min, Size * 3 / 4);
                _lastDecreaseAt = nowTicks;
                _growth = 0;
                _slowStart = false;
            }
            return;
        }
        if (_slowStart)
        {
            Size = Math.Min(_max, Size + 1); // one more per ack: twice the window each round trip
        }
        else if (++_growth >= Size)
        {
            Size = Math.Min(_max, Size + 1);
            _growth = 0;
        }
    }
}
