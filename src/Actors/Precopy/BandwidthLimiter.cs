namespace Orchestrator.Actors.Precopy;

/// <summary>
/// <c>max-bandwidth</c> for all streams of one migration, in 100 ms slices as QEMU does; a one-chunk overshoot is paid back in the
/// next slice. Thread-safe: a migration's streams share one instance on the source node.
/// </summary>
internal sealed class BandwidthLimiter
{
    public static readonly TimeSpan Slice = TimeSpan.FromMilliseconds(100);

    private readonly object _gate = new();
    private readonly TimeProvider _time;
    private readonly long _start;
    private long _bytesPerSecond;
    private long _sliceIndex;
    private long _usedInSlice;

    /// <param name="bytesPerSecond">0 means unlimited.</param>
    public BandwidthLimiter(long bytesPerSecond, TimeProvider? time = null)
    {
        _bytesPerSecond = bytesPerSecond;
        _time = time ?? TimeProvider.System;
        _start = _time.GetTimestamp();
    }

    private long ElapsedMilliseconds => (long)_time.GetElapsedTime(_start).TotalMilliseconds;

    public long BytesPerSecond
    {
        get { lock (_gate) return _bytesPerSecond; }
        set { lock (_gate) _bytesPerSecond = value; }
    }

    /// <summary>True when this slice still has budget; otherwise <paramref name="retryIn"/> is the wait until the next slice.</summary>
    public bool MaySend(out TimeSpan retryIn)
    {
        lock (_gate)
        {
            retryIn = TimeSpan.Zero;
            if (_bytesPerSecond <= 0)
                return true;
            Roll();
            if (_usedInSlice < BudgetPerSlice())
                return true;
            var sliceMs = (long)Slice.TotalMilliseconds;
            retryIn = TimeSpan.FromMilliseconds(Math.Max(1, sliceMs - ElapsedMilliseconds % sliceMs));
            return false;
        }
    }

    public void Consume(long bytes)
    {
        lock (_gate)
        {
            Roll();
            _usedInSlice += bytes;
        }
    }

    private long BudgetPerSlice() => Math.Max(1, _bytesPerSecond / 10);

    private void Roll()
    {
        var slice = ElapsedMilliseconds / (long)Slice.TotalMilliseconds;
        if (slice == _sliceIndex)
            return;
        // Carry only the overshoot forward; unused budget does not accumulate into bursts.
        var overshoot = Math.Max(0, _usedInSlice - BudgetPerSlice());
        _usedInSlice = slice == _sliceIndex + 1 ? overshoot : 0;
        _sliceIndex = slice;
    }
}
