using static Orchestrator.Actors.Fleet.FleetProtocol;

namespace Orchestrator.Actors.Fleet;

/// <summary>A running migration's reports and the progress KubeVirt's timeouts judge; in memory only, a successor hears afresh.</summary>
internal sealed class MigrationProgress(MigrationId id, DateTimeOffset now)
{
    public MigrationId Id { get; } = id;

    /// <summary>The latest query-migrate view the source reported.</summary>
    public MigrationInfo? Last { get; private set; }

    /// <summary>When the source last said anything of it: a source silent for long is asked, then given up on.</summary>
    public DateTimeOffset LastHeard { get; private set; } = now;

    /// <summary>When the fleet last asked the source itself (the safety net for lost reports).</summary>
    public DateTimeOffset LastAsked { get; set; } = DateTimeOffset.MinValue;

    /// <summary>The lowest remaining byte count seen, and when it last dropped: the progress timeout.</summary>
    public long LeastRemaining { get; private set; } = long.MaxValue;

    public DateTimeOffset LastProgressAt { get; private set; } = now;

    /// <summary>Bytes left the last time it ran: a migration that ended without completing reports 0 remaining.</summary>
    private long _remaining = -1;

    /// <summary>Share of the bytes moved; never goes backwards.</summary>
    private int _percent;

    public void Heard(DateTimeOffset now) => LastHeard = now;

    public void Observe(MigrationInfo info, DateTimeOffset now)
    {
        Last = info;
        LastHeard = now;
        if (!info.Status.IsTerminal() || info.Status == MigrationStatus.Completed)
            _remaining = info.Remaining;
        var remaining = Math.Max(0, _remaining);
        var total = info.Transferred + remaining;
        var percent = info.Status == MigrationStatus.Completed ? 100 : total > 0 ? (int)Math.Min(99, info.Transferred * 100 / total) : 0;
        _percent = Math.Max(_percent, percent);
        if (info.Status is MigrationStatus.Active or MigrationStatus.Setup && info.Remaining < LeastRemaining)
        {
            LeastRemaining = info.Remaining;
            LastProgressAt = now;
        }
    }

    /// <summary>The list's record of a running migration.</summary>
    public MigrationRecord Record(FleetMigration m) => new(
        m.Id, m.Vm, m.Source, m.Destination, Last?.Status ?? MigrationStatus.Setup,
        Last?.Transferred ?? 0, _remaining >= 0 ? _remaining : m.Size, Last?.Ram.DirtySyncCount ?? 0, _percent,
        Last?.ErrorDesc ?? m.Intervention, m.Kind, m.AdmittedAt);

    /// <summary>How it ended, for the journal: the state, the reason and the last statistics heard.</summary>
    public FleetEvents.MigrationOutcome Outcome(FleetMigration m, MigrationStatus status, string? reason) => new(
        status.Name(), reason, Last?.Transferred ?? 0, _remaining >= 0 ? _remaining : m.Size, Last?.Ram.DirtySyncCount ?? 0,
        status == MigrationStatus.Completed ? 100 : _percent,
        Last?.StartedAt, Last?.TotalTime, Last?.Downtime, Last?.SetupTime, Last?.Ram.Total);

    /// <summary>The record of a migration that has not started: queued for a permit.</summary>
    public static MigrationRecord Queued(FleetMigration m) => new(
        m.Id, m.Vm, m.Source, m.Destination, m.Started ? MigrationStatus.Setup : MigrationStatus.Queued, 0, m.Size, 0, 0,
        m.Intervention, m.Kind, m.AdmittedAt);

    /// <summary>The outcome of a migration that never reported (withdrawn while queued, or its start refused).</summary>
    public static FleetEvents.MigrationOutcome Unheard(FleetMigration m, MigrationStatus status, string? reason) =>
        new(status.Name(), reason, 0, m.Size, 0, 0);
}
