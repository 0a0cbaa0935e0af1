namespace Orchestrator.Actors.Migration;

/// <summary>
/// One tick of QEMU's migration_iteration_run and migration_update_counters, apart from the actor: the bandwidth the switchover trusts,
/// its threshold with <c>downtime-limit</c>, the exact pending size when the estimate falls under it (or once per sync period), and
/// auto-converge's throttle once per period. Times are the migration's clock, in ms.
/// </summary>
internal sealed class PrecopyLoop(VirtualMachine vm, IReadOnlyDictionary<Devices.Contract.DeviceName, StreamCounters> counters)
{
    private readonly TransferRate _rate = new(MigrationSettings.Tick * 0.8); // a tick late by a few ms still makes a window
    private readonly AutoConverge _autoConverge = new();
    private long _lastExactAt;
    private long _periodStartAt;
    private long _periodStartBytes;

    /// <summary>What one tick found.</summary>
    /// <param name="Pending">Bytes still to move: exact when it was synced this tick, else the estimate.</param>
    /// <param name="Converged">QEMU: <c>pending == 0 || pending &lt; threshold</c>, the switchover may start if it can.</param>
    /// <param name="ExpectedDowntime">ms: pending over the switchover bandwidth (downtime-limit before any is known).</param>
    /// <param name="Throttle">auto-converge's new throttle percentage, when it changed.</param>
    public sealed record Tick(long Pending, bool Converged, long ExpectedDowntime, int? Throttle);

    public TransferRate Rate => _rate;

    /// <summary>Every byte the device streams moved so far.</summary>
    public long Transferred => counters.Values.Sum(c => c.Transferred);

    private long RamTransferred => vm.Ram is { } ram && counters.TryGetValue(ram.Name, out var c) ? c.Transferred : 0;

    public void Start(long now)
    {
        _periodStartAt = _lastExactAt = now;
        _rate.Start(now, Transferred, RamTransferred, vm.Devices.Sum(d => d.PendingEstimate()));
    }

    public Tick Next(long now, MigrationParameters parameters, bool autoConverge)
    {
        var sent = Transferred;
        var pending = vm.Devices.Sum(d => d.PendingEstimate());
        _rate.Sample(now, sent, RamTransferred, pending);
        var bandwidthPerMs = _rate.ForSwitchover(parameters);
        var threshold = bandwidthPerMs * parameters.DowntimeLimit;
        int? throttle = null;
        if (pending <= threshold || now - _lastExactAt >= AutoConverge.Period.TotalMilliseconds)
        {
            pending = vm.Devices.Sum(d => d.PendingExact());
            _lastExactAt = now;
            throttle = DirtySync(now, sent, parameters, autoConverge);
        }
        var expected = bandwidthPerMs > 0 ? (long)(pending / bandwidthPerMs) : parameters.DowntimeLimit;
        return new Tick(pending, pending == 0 || pending < threshold, expected, throttle);
    }

    /// <summary>A lowered <c>max-cpu-throttle</c> applies at once: the new throttle, or null when unchanged.</summary>
    public int? Capped(MigrationParameters parameters) => _autoConverge.Capped(parameters);

    /// <summary>Once per period: QEMU's migration_trigger_throttle over the bytes dirtied against those sent.</summary>
    private int? DirtySync(long now, long sent, MigrationParameters parameters, bool autoConverge)
    {
        if (now - _periodStartAt < AutoConverge.Period.TotalMilliseconds)
            return null;
        var seconds = (now - _periodStartAt) / 1000.0;
        var dirtied = (long)((vm.Ram?.Statistics.DirtyPagesRate ?? 0) * seconds * 4096);
        var throttle = autoConverge ? _autoConverge.OnPeriod(dirtied, sent - _periodStartBytes, parameters) : null;
        _periodStartAt = now;
        _periodStartBytes = sent;
        return throttle;
    }
}
