namespace Orchestrator.Devices.Vfio;

/// <summary>
/// The destination's allocation before a VFIO device takes its final state (mlx5: about 1.5 s); at most once per load, approving the
/// switchover when done with switchover-ack. Thread-safe.
/// </summary>
/// <param name="time">The clock the allocation time is measured on.</param>
internal sealed class VfioAllocation(TimeSpan allocationTime, TimeProvider time)
{
    private readonly Lock sync = new();
    private CancellationTokenSource? cancel;
    private Task? running;
    private int approved;
    private volatile bool completed;

    public bool Started => Volatile.Read(ref running) is not null;

    public bool Completed => completed;

    /// <summary>Starts the allocation unless it runs, and returns it; <paramref name="approve"/> runs once at its end, on the pool, outside any lock.</summary>
    public Task Start(Action? approve)
    {
        lock (sync)
        {
            if (running is not null)
                return running;

            cancel = new CancellationTokenSource();
            var token = cancel.Token;
            running = Task.Run(() => Run(approve, token), token);
            return running;
        }
    }

    /// <summary>Stops a running allocation (it never approves) and forgets it, so the next load starts afresh.</summary>
    public void Cancel()
    {
        lock (sync)
        {
            cancel?.Cancel();
            cancel?.Dispose();
            cancel = null;
            running = null;
            completed = false;
            approved = 0;
        }
    }

    private async Task Run(Action? approve, CancellationToken token)
    {
        // At least the whole allocation time (a timer may fire a few ms early). The time left is read once per pass: read again for the
        // wait it can be negative (the thread descheduled between), which Task.Delay refuses or, at -1 ms, waits on forever: no approval.
        var start = time.GetTimestamp();
        for (var left = allocationTime; left > TimeSpan.Zero; left = allocationTime - time.GetElapsedTime(start))
            await Task.Delay(left, time, token).ConfigureAwait(false);

        token.ThrowIfCancellationRequested(); // cancelled by LoadCleanup just as the delay ended
        completed = true;
        if (approve is not null && Interlocked.Exchange(ref approved, 1) == 0)
            approve();
    }
}
