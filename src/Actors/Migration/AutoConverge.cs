namespace Orchestrator.Actors.Migration;

/// <summary>
/// QEMU's <c>migration_trigger_throttle</c>: when the guest dirtied over <c>throttle-trigger-threshold</c>% of what a sync period sent,
/// twice, throttle it to <c>cpu-throttle-initial</c>, then up by <c>cpu-throttle-increment</c>, capped at <c>max-cpu-throttle</c>.
/// </summary>
internal sealed class AutoConverge
{
    public static readonly TimeSpan Period = TimeSpan.FromSeconds(1);

    private int _highCount;

    public int Throttle { get; private set; }

    /// <returns>The new throttle percentage, or null when unchanged.</returns>
    public int? OnPeriod(long bytesDirtied, long bytesSent, MigrationParameters parameters)
    {
        var threshold = bytesSent * parameters.ThrottleTriggerThreshold / 100;
        if (bytesDirtied <= threshold || ++_highCount < 2)
            return null;
        _highCount = 0;
        Throttle = Throttle == 0
            ? Math.Min(parameters.CpuThrottleInitial, parameters.MaxCpuThrottle)
            : Math.Min(Throttle + parameters.CpuThrottleIncrement, parameters.MaxCpuThrottle);
        return Throttle;
    }

    /// <summary>A lowered <c>max-cpu-throttle</c> applies at once, not at the next trigger: the new throttle, or null when unchanged.</summary>
    public int? Capped(MigrationParameters parameters)
    {
        if (Throttle <= parameters.MaxCpuThrottle)
            return null;
        Throttle = parameters.MaxCpuThrottle;
        return Throttle;
    }
}
