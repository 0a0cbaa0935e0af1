namespace Orchestrator.Actors.Fleet;

/// <summary>The fleet coordinator's conversation: a cluster singleton admits every migration and holds the limits as permits until each is terminal.</summary>
public static class FleetProtocol
{
    /// <param name="PollInterval">How often the fleet judges its running migrations (timeouts, silent sources); a source that has not reported for longer is asked.</param>
    /// <param name="FinishedPerVm">Finished migrations kept per VM.</param>
    /// <param name="RetryBackoff">A failed evacuation migration is tried again after this, doubling each time.</param>
    /// <param name="MaxBandwidth">Bytes per second for each migration the fleet starts, unless the migration sets its own max-bandwidth; 0 is unlimited.</param>
    public sealed record Settings(FleetLimits Limits, TimeSpan PollInterval, FleetTimeouts Timeouts, TimeSpan RetryBackoff, int FinishedPerVm = 5, long MaxBandwidth = 0)
    {
        public static Settings Default => new(new FleetLimits(), TimeSpan.FromSeconds(1), FleetTimeouts.Default, TimeSpan.FromSeconds(20));
    }

    /// <summary>A user's migrate: answered with <see cref="MigrationAdmitted"/> or <see cref="CommandResult"/>.</summary>
    /// <param name="OnTimeout">Overrides the fleet's timeout action for this migration.</param>
    /// <param name="Timeout">This migration's completion timeout from its permit's grant (virsh's <c>migrate --timeout</c>); null: the
    /// fleet's per-GiB rule (KubeVirt's). Must be positive.</param>
    public sealed record RequestMigration(
        string Vm,
        string To,
        MigrationCapabilities? Capabilities,
        IReadOnlyList<(string Name, string Value)>? Parameters,
        TimeoutAction? OnTimeout = null,
        TimeSpan? Timeout = null) : IHostWire;

    /// <param name="Status"><see cref="MigrationStatus.Queued"/> while it waits for a permit, else <see cref="MigrationStatus.Setup"/>.</param>
    public sealed record MigrationAdmitted(MigrationId Id, string Vm, string Source, string Destination, MigrationStatus Status) : IHostWire;

    /// <summary>Drain a host and move every VM off it: answered with <see cref="EvacuationStarted"/> or <see cref="CommandResult"/>.</summary>
    public sealed record Evacuate(string Host) : IHostWire;

    public sealed record EvacuationStarted(string Host, IReadOnlyList<Placement> Moves, IReadOnlyList<Unplaceable> Unplaceable) : IHostWire;

    /// <summary>Stop creating the evacuation's migrations; running ones finish unless <paramref name="AbortRunning"/>.</summary>
    public sealed record CancelEvacuation(string Host, bool AbortRunning) : IHostWire;

    /// <summary>Even out memory use across hosts with at most <paramref name="MaxMoves"/> migrations: answered with <see cref="RebalanceStarted"/> or <see cref="CommandResult"/>.</summary>
    public sealed record Rebalance(int MaxMoves) : IHostWire;

    /// <param name="SpreadBefore">Largest minus smallest share of capacity in use, before the moves.</param>
    /// <param name="SpreadAfter">The same once the moves complete.</param>
    /// <param name="Bound">The spread the plan aims for.</param>
    public sealed record RebalanceStarted(IReadOnlyList<Placement> Moves, double SpreadBefore, double SpreadAfter, double Bound) : IHostWire;

    /// <summary>QEMU's migrate_cancel for a migration still waiting for a permit: it is withdrawn and ends cancelled. Answered with <see cref="CommandResult"/>.</summary>
    public sealed record CancelQueued(string Vm) : IHostWire;

    /// <summary>The host accepts VMs again.</summary>
    public sealed record Undrain(string Host) : IHostWire;

    /// <summary>Answered with <see cref="MigrationList"/>.</summary>
    public sealed record ListMigrations : IHostWire { public static readonly ListMigrations Instance = new(); }

    public sealed record MigrationList(IReadOnlyList<MigrationRecord> Migrations) : IHostWire;

    /// <param name="Status">QEMU's state, or <see cref="MigrationStatus.Queued"/>.</param>
    /// <param name="Percent">Share of the bytes moved so far; never goes backwards.</param>
    /// <param name="Reason">The error-desc of a migration that failed or was cancelled.</param>
    public sealed record MigrationRecord(
        MigrationId Id,
        string Vm,
        string Source,
        string Destination,
        MigrationStatus Status,
        long Transferred,
        long Remaining,
        long Iteration,
        int Percent,
        string? Reason,
        MigrationPriority Kind,
        DateTimeOffset AdmittedAt);

    /// <summary>The latest finished migration of a VM as the fleet recorded it: answered with <see cref="FinalOf"/>.</summary>
    public sealed record GetFinal(string Vm) : IHostWire;

    /// <param name="Id">Its migration; null when the fleet recorded none.</param>
    /// <param name="Final">How it ended, as the fleet's journal keeps it.</param>
    public sealed record FinalOf(string Vm, MigrationId? Id, Journal.FleetEvents.MigrationOutcome? Final) : IHostWire;

    /// <summary>A source's query-migrate view, pushed every <see cref="ReportInterval"/> and at once at the end (which frees the permit).</summary>
    public sealed record MigrationReport(string Vm, MigrationInfo Info) : IHostWire;

    /// <summary>How often a source host reports a running fleet migration.</summary>
    public static readonly TimeSpan ReportInterval = TimeSpan.FromMilliseconds(500);

    /// <summary>Answered with <see cref="Permits"/>.</summary>
    public sealed record GetPermits : IHostWire { public static readonly GetPermits Instance = new(); }

    /// <param name="Coordinator">The host whose node runs the fleet coordinator singleton now.</param>
    public sealed record Permits(
        int Held,
        int Queued,
        FleetLimits Limits,
        IReadOnlyDictionary<string, int> Outbound,
        IReadOnlyDictionary<string, int> Inbound,
        string? Coordinator = null) : IHostWire;
}
