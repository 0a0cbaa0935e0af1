using Orchestrator.Actors.Migration;
using Orchestrator.Actors.Wire;
using static Orchestrator.Actors.Fleet.FleetProtocol;

namespace Orchestrator.Actors.Fleet.Journal;

/// <summary>
/// What the fleet coordinator writes to its journal before it acts, so that a coordinator started
/// on another node after a crash recovers every admitted migration, evacuation job, drained host,
/// placement and finished record. Events and snapshots go through the allow-listed host wire JSON.
/// </summary>
public static class FleetJournal
{
    /// <summary>The coordinator's one journal: there is one fleet per cluster.</summary>
    public const string PersistenceId = "fleet";

    /// <summary>A snapshot every this many events keeps recovery short.</summary>
    public const int SnapshotEvery = 100;

    public interface IFleetEvent : IHostWire;

    /// <param name="Evacuation">The host whose evacuation this migration belongs to, if any.</param>
    public sealed record MigrationQueued(
        MigrationRecord Record,
        long Size,
        MigrationCapabilities? Capabilities,
        IReadOnlyList<(string Name, string Value)>? Parameters,
        TimeoutAction OnTimeout,
        string? Evacuation) : IFleetEvent;

    /// <summary>The migration holds its permits; written before the source host is asked to start, so no migration runs unrecorded.</summary>
    public sealed record PermitGranted(string Vm, MigrationId Id, DateTimeOffset At) : IFleetEvent;

    /// <param name="Final">The last query-migrate answer: the migration's final statistics.</param>
    public sealed record MigrationEnded(MigrationRecord Record, MigrationInfo? Final) : IFleetEvent;

    public sealed record DrainingChanged(string Host, bool Draining) : IFleetEvent;

    public sealed record EvacuationBegan(string Host) : IFleetEvent;

    public sealed record RetryScheduled(string Host, string Vm, int Attempt, DateTimeOffset Due) : IFleetEvent;

    /// <summary>A retry found nothing to move (the VM left its host meanwhile).</summary>
    public sealed record RetryDropped(string Host, string Vm) : IFleetEvent;

    /// <param name="Cancelled">Ended by evacuate-cancel rather than by running out of VMs.</param>
    public sealed record EvacuationEnded(string Host, bool Cancelled) : IFleetEvent;

    /// <summary>Where a VM runs, as hosts report it; <paramref name="Host"/> null when it is gone.</summary>
    public sealed record PlacementSeen(string Vm, string? Host) : IFleetEvent;

    // ---- durable state, as a snapshot and as recovered --------------------------------------

    public sealed record ActiveMigration(
        MigrationRecord Record,
        long Size,
        MigrationCapabilities? Capabilities,
        IReadOnlyList<(string Name, string Value)>? Parameters,
        TimeoutAction OnTimeout,
        DateTimeOffset? StartedAt);

    public sealed record FinishedMigration(MigrationRecord Record, MigrationInfo? Final);

    public sealed record EvacuationJob(string Host, IReadOnlyList<string> Vms, IReadOnlyDictionary<string, int> Attempts, IReadOnlyDictionary<string, DateTimeOffset> RetryDue);

    public sealed record FleetSnapshot(
        IReadOnlyList<ActiveMigration> Active,
        IReadOnlyList<FinishedMigration> Finished,
        IReadOnlyList<string> Draining,
        IReadOnlyList<EvacuationJob> Evacuations,
        IReadOnlyDictionary<string, string> Placement) : IHostWire
    {
        public static readonly FleetSnapshot Empty = new([], [], [], [], new Dictionary<string, string>());
    }

    // ---- between the coordinator and its store (same node) ----------------------------------

    /// <summary>The store's answer once an event is durable.</summary>
    internal sealed record Written(long SequenceNr);

    /// <summary>The store finished recovery; sent to its parent, the coordinator.</summary>
    internal sealed record Recovered(FleetSnapshot State, long SequenceNr);
}
