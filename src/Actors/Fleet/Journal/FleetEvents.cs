namespace Orchestrator.Actors.Fleet.Journal;

/// <summary>
/// INTERNAL API: for this project's executable and drills; it may change without notice.
/// What the fleet coordinator journals, as contracts of their own in the field's vocabulary (QEMU state names, capability lists,
/// parameter names), never a protocol message or a view. Each has a constant, versioned manifest (<see cref="FleetJournalSerializer"/>),
/// so renaming a C# type never changes what a database recovers; a changed contract gets a new manifest and the old one an upcast
/// (as <see cref="LegacyFleetJournal"/> does for journals written before these contracts, 2026-11-29).
/// </summary>
[InternalApi]
public static class FleetEvents
{
    /// <summary>The coordinator's one journal: there is one fleet per cluster.</summary>
    public const string PersistenceId = "fleet";

    /// <summary>A snapshot every this many events keeps recovery short.</summary>
    public const int SnapshotEvery = 100;

    public interface IFleetEvent;

    /// <summary>One migration parameter as the migrate command gave it (QEMU name, text value).</summary>
    public sealed record Setting(string Name, string Value);

    /// <summary>A migration was admitted and waits for a permit.</summary>
    /// <param name="Kind">"evacuation" or "user": the grant priority.</param>
    /// <param name="Size">Bytes of VM state, as the source host reported them.</param>
    /// <param name="Capabilities">QEMU capability list that are on ("return-path,switchover-ack"); null: the VM's own.</param>
    /// <param name="Parameters">Parameters of this migration only; null or empty: the VM's own.</param>
    /// <param name="OnTimeout">"abort" or "pause" (KubeVirt's completion and progress timeouts).</param>
    /// <param name="Evacuation">The host whose evacuation this move belongs to, if any.</param>
    /// <param name="TimeoutMs">Its own completion timeout in ms (<c>migrate --timeout</c>); null, as in journals written before it: the
    /// fleet's per-GiB rule.</param>
    public sealed record MigrationQueued(
        string Id,
        string Vm,
        string Source,
        string Destination,
        string Kind,
        long Size,
        DateTimeOffset AdmittedAt,
        string? Capabilities,
        IReadOnlyList<Setting>? Parameters,
        string OnTimeout,
        string? Evacuation,
        long? TimeoutMs = null) : IFleetEvent;

    /// <summary>The migration holds its permits; written before the source host is asked to start, so no migration runs unrecorded.</summary>
    public sealed record PermitGranted(string Vm, string Id, DateTimeOffset At) : IFleetEvent;

    /// <summary>The fleet stepped into a running migration (a timeout, or its destination began to drain) and said why.</summary>
    /// <param name="Redirected">Cancelled because its destination drains: an evacuation move is planned again elsewhere.</param>
    public sealed record MigrationIntervened(string Vm, string Id, string Reason, bool Redirected) : IFleetEvent;

    /// <summary>A migration reached a terminal state: its permit goes back, its outcome joins the VM's history.</summary>
    public sealed record MigrationEnded(string Vm, string Id, MigrationOutcome Outcome) : IFleetEvent;

    /// <summary>How a migration ended: its QEMU state and the last statistics the fleet saw.</summary>
    /// <param name="Status">QEMU's state name: "completed", "failed" or "cancelled".</param>
    /// <param name="Reason">error-desc, or why the fleet ended it.</param>
    /// <param name="Transferred">Bytes sent.</param>
    /// <param name="Remaining">Bytes left at the last count seen while it ran.</param>
    /// <param name="Iteration">RAM dirty-sync count.</param>
    /// <param name="Percent">Share of the bytes moved, 0 to 100.</param>
    /// <param name="StartedAt">When the source started it; null when it never started.</param>
    /// <param name="TotalTime">Milliseconds from start to end (query-migrate total-time).</param>
    /// <param name="Downtime">Milliseconds the guest was stopped, when it completed.</param>
    /// <param name="SetupTime">Milliseconds spent in setup.</param>
    /// <param name="Total">Bytes of guest RAM.</param>
    public sealed record MigrationOutcome(
        string Status,
        string? Reason,
        long Transferred,
        long Remaining,
        long Iteration,
        int Percent,
        DateTimeOffset? StartedAt = null,
        long? TotalTime = null,
        long? Downtime = null,
        long? SetupTime = null,
        long? Total = null);

    public sealed record DrainingChanged(string Host, bool Draining) : IFleetEvent;

    public sealed record EvacuationBegan(string Host) : IFleetEvent;

    /// <param name="Attempt">Attempts that failed so far; the backoff doubles with each.</param>
    public sealed record RetryScheduled(string Host, string Vm, int Attempt, DateTimeOffset Due) : IFleetEvent;

    /// <summary>A retry found nothing to move (the VM left its host meanwhile, or no host has room).</summary>
    public sealed record RetryDropped(string Host, string Vm) : IFleetEvent;

    /// <param name="Cancelled">Ended by evacuate-cancel rather than by running out of VMs.</param>
    public sealed record EvacuationEnded(string Host, bool Cancelled) : IFleetEvent;

    /// <summary>Where a VM runs, as hosts report it; <paramref name="Host"/> null when it is gone.</summary>
    public sealed record PlacementSeen(string Vm, string? Host) : IFleetEvent;

    // ---- the state in one record: snapshots -------------------------------------------------

    /// <summary>A migration still queued or running, in admission order (the order permits are granted in).</summary>
    public sealed record ActiveEntry(MigrationQueued Queued, DateTimeOffset? StartedAt, string? Intervention, bool Redirected);

    /// <summary>A finished migration of a VM's history, newest first per VM.</summary>
    public sealed record FinishedEntry(MigrationQueued Queued, MigrationOutcome Outcome);

    public sealed record EvacuationEntry(string Host, IReadOnlyList<string> Vms, IReadOnlyDictionary<string, int> Attempts, IReadOnlyDictionary<string, DateTimeOffset> RetryDue);

    public sealed record FleetSnapshot(
        IReadOnlyList<ActiveEntry> Active,
        IReadOnlyList<FinishedEntry> Finished,
        IReadOnlyList<string> Draining,
        IReadOnlyList<EvacuationEntry> Evacuations,
        IReadOnlyDictionary<string, string> Placement);
}
