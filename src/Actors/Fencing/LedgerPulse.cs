namespace Orchestrator.Actors.Fencing;

/// <summary>
/// Whether the ownership ledger answered lately a probe (<see cref="OwnershipProtocol.GetOwner"/>) sent about once per <c>interval</c>.
/// A source stops its VM only while the ledger answers, as the commit needs it: during a ledger failover the VM keeps running through
/// precopy instead of waiting it out paused. Times are the migration's clock, in ms.
/// </summary>
internal sealed class LedgerPulse(long startedAt, TimeSpan interval)
{
    private readonly long _interval = (long)interval.TotalMilliseconds;
    private long _answeredAt = long.MinValue;
    private long _probedAt = long.MinValue;

    /// <summary>Probes twice per resolve retry, at most a second apart.</summary>
    public static LedgerPulse For(Migration.OwnershipTimeouts timeouts) =>
        new(0, TimeSpan.FromTicks(Math.Min(timeouts.Retry.Ticks / 2, TimeSpan.TicksPerSecond)));

    /// <summary>True when a probe is due; the caller sends it.</summary>
    public bool Probe(long now)
    {
        if (_probedAt != long.MinValue && now - _probedAt < _interval)
            return false;
        _probedAt = now;
        return true;
    }

    public void Answered(long now) => _answeredAt = now;

    /// <summary>An answer came within two probe intervals.</summary>
    public bool Fresh(long now) => _answeredAt != long.MinValue && now - _answeredAt <= 2 * _interval;

    /// <summary>ms since the last answer, or since the migration started when none came yet.</summary>
    public long Silent(long now) => now - Math.Max(_answeredAt, startedAt);
}
