namespace Orchestrator.Actors.Multifd;

/// <summary>
/// A migration's channels on the source, shared by its device streams (thread-safe, as the bandwidth limiter they also share): each
/// chunk goes to the channel with the fewest chunks in flight, and no channel carries more than <c>window</c> unacknowledged, so memory
/// stays bounded per channel as well as per stream, and a slow channel gets less. A stream finding every channel full is pumped when one frees.
/// </summary>
internal sealed class MultifdChannels
{
    private readonly object _gate = new();
    private readonly MultifdSendChannel[] _channels;
    private readonly long[] _sentAt; // per lane (channel * window + place): when its frame left, -1 when free
    private readonly int[] _inFlight;
    private readonly int[] _maxInFlight;
    private readonly long[] _progressAt;
    private readonly int _window;
    private readonly TimeProvider _time;
    private readonly long _start;
    private readonly HashSet<IActorRef> _waiting = [];
    private int _next;

    public MultifdChannels(int count, int window, TimeProvider time)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        _channels = Enumerable.Range(0, count).Select(i => new MultifdSendChannel(i)).ToArray();
        _sentAt = Enumerable.Repeat(-1L, count * window).ToArray();
        _inFlight = new int[count];
        _maxInFlight = new int[count];
        _progressAt = new long[count];
        _window = window;
        _time = time;
        _start = time.GetTimestamp();
    }

    public int Count => _channels.Length;

    public int Window => _window;

    public MultifdSendChannel this[int index] => _channels[index];

    private long Ticks => _time.GetElapsedTime(_start).Ticks;

    /// <summary>The channel a lane belongs to.</summary>
    public int ChannelOf(int lane) => lane / _window;

    /// <summary>
    /// A lane (a place for one frame) on the least loaded channel with room; false when all are full, and <paramref name="waiter"/> gets
    /// a pump when one frees.
    /// </summary>
    public bool TryReserve(IActorRef waiter, out int lane)
    {
        lock (_gate)
        {
            lane = -1;
            var channel = -1;
            for (var i = 0; i < _channels.Length; i++)
            {
                var candidate = (_next + i) % _channels.Length;
                if (_inFlight[candidate] < _window && (channel < 0 || _inFlight[candidate] < _inFlight[channel]))
                    channel = candidate;
            }
            if (channel < 0)
            {
                _waiting.Add(waiter);
                return false;
            }
            _next = (channel + 1) % _channels.Length;
            var now = Ticks;
            if (_inFlight[channel]++ == 0)
                _progressAt[channel] = now;
            lane = channel * _window;
            while (_sentAt[lane] >= 0)
                lane++;
            _sentAt[lane] = now;
            _maxInFlight[channel] = Math.Max(_maxInFlight[channel], _inFlight[channel]);
            return true;
        }
    }

    /// <summary>The chunk on <paramref name="lane"/> was loaded by the destination, or a reservation went unused: its place frees.</summary>
    public void Release(int lane, bool progress = true)
    {
        IActorRef[] wake;
        lock (_gate)
        {
            var channel = ChannelOf(lane);
            _sentAt[lane] = -1;
            _inFlight[channel]--;
            if (progress)
                _progressAt[channel] = Ticks;
            if (_waiting.Count == 0)
                return;
            wake = _waiting.ToArray();
            _waiting.Clear();
        }
        foreach (var waiter in wake)
            waiter.Tell(Precopy.PrecopyLocal.Pump.Instance);
    }

    /// <summary>The most chunks a channel ever had unacknowledged.</summary>
    public int MaxInFlight(int channel)
    {
        lock (_gate)
            return _maxInFlight[channel];
    }

    /// <summary>
    /// A channel with chunks out and no credit back for longer than <paramref name="stall"/>, if any. A stuck channel holds up every
    /// device's in-order loading, so the others stop getting credit too: the one to blame carries the oldest frame still unacknowledged.
    /// </summary>
    public (int Channel, int InFlight)? Stalled(TimeSpan stall)
    {
        lock (_gate)
        {
            var now = Ticks;
            (int Channel, long Oldest)? blamed = null;
            for (var i = 0; i < _channels.Length; i++)
            {
                if (_inFlight[i] == 0 || now - _progressAt[i] <= stall.Ticks)
                    continue;
                var oldest = _sentAt.AsSpan(i * _window, _window).ToArray().Where(t => t >= 0).Min();
                if (blamed is not { } b || oldest < b.Oldest)
                    blamed = (i, oldest);
            }
            return blamed is { } found ? (found.Channel, _inFlight[found.Channel]) : null;
        }
    }
}
