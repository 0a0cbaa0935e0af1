namespace Orchestrator.Drills.Running;

/// <summary>The cluster under test as either engine gives it (in-process, netns): steps, checks, verdicts, report are one code. Scenario host names.</summary>
public interface IDrillCluster : IAsyncDisposable
{
    /// <summary>Every host of the scenario, in order.</summary>
    IReadOnlyList<string> Hosts { get; }

    NodeFate Fate(string host);

    /// <summary>The scenario host at a node address (a migration's destination, the ledger's owner); null if none.</summary>
    string? HostAt(Address address);

    /// <summary>Creates and starts the VM on its host: null when done, else why not.</summary>
    Task<string?> CreateVm(VmDefinition vm);

    /// <summary>Asks the fleet coordinator for the migration; throws <see cref="DrillStepException"/> on a refusal.</summary>
    /// <remarks>The step's capabilities are the source's set for this migration; the destination's incoming side is <see cref="SetIncoming"/>'s.</remarks>
    Task<DrillAdmission> Migrate(MigrateStep step);

    /// <summary>
    /// The host's side as a migration destination, as an operator sets it (<c>migrate-set-capabilities --host</c>, then <c>migrate-set-parameters --host</c>):
    /// capability changes over its current set, then parameter changes; an empty list is not sent. Each is all or nothing on the host, which keeps
    /// them for later migrations too. Throws <see cref="DrillStepException"/> with the host's error text on a refusal (an unknown name, a set QEMU's
    /// migrate_caps_check refuses, a migration coming in there) or when it does not answer.
    /// </summary>
    Task<DrillIncoming> SetIncoming(string host, IReadOnlyList<(string Name, bool On)> capabilities, IReadOnlyList<(string Name, string Value)> parameters);

    /// <summary>Asks the fleet coordinator to evacuate; throws <see cref="DrillStepException"/> on a refusal.</summary>
    Task<DrillEvacuation> Evacuate(string host);

    /// <summary>
    /// Crashes the living host's node now, or throws <see cref="DrillStepException"/>. An engine that <see cref="SeesPhases"/> kills before it
    /// returns, bounded, so that a phase callback can call it.
    /// </summary>
    Task Kill(string host);

    /// <summary>The VM's next incoming copy, on every living host, gets one bit flipped (a corrupted chunk).</summary>
    Task Corrupt(string vm);

    /// <summary>Partitions, heals, slows or clears the link between two hosts; throws <see cref="DrillStepException"/> when it cannot.</summary>
    Task Link(LinkStep step);

    /// <summary>The host's own VM list, asked of that host alone (never across a link a fault may have cut); null when it does not answer.</summary>
    Task<HostProtocol.VmList?> ListVms(string host);

    /// <summary>query-migrate of the VM on that host alone: <see cref="MigrationInfo"/>, <see cref="HostProtocol.NoMigration"/>, or null (no answer).</summary>
    Task<object?> QueryMigrate(string host, string vm);

    /// <summary>The ownership ledger's owner of the VM, as a scenario host; null when unknown or unreachable.</summary>
    Task<string?> LedgerOwner(string vm);

    /// <summary>Calls back on each phase a source migration publishes, on its own thread, if the engine sees them (in-process); others never call.</summary>
    void WatchPhases(Action<string, MigrationPhaseReached> onPhase);

    /// <summary>Whether <see cref="WatchPhases"/> reports phases; when not, kills at a phase go through <see cref="ArmKillAt"/>.</summary>
    bool SeesPhases { get; }

    /// <summary>For engines that do not see phases: arms the kill on the migration's source node; throws <see cref="DrillStepException"/>.</summary>
    Task ArmKillAt(KillStep kill, string source);

    /// <summary>For engines that do not see phases: whether the kill armed by <see cref="ArmKillAt"/> happened.</summary>
    bool KilledAtPhase(KillStep kill);

    /// <summary>Migrations the engine learned of other than by phases (the fleet's list): new ones are watched.</summary>
    Task<IReadOnlyList<DrillMigrationSeen>> Migrations();
}

public static class DrillClusters
{
    public static IEnumerable<string> Living(this IDrillCluster cluster) => cluster.Hosts.Where(h => cluster.Fate(h) == NodeFate.Alive);
}

public sealed record DrillAdmission(MigrationId Id, string Source, string Status);

/// <summary>A destination's incoming side as the host answered <see cref="IDrillCluster.SetIncoming"/>; null where nothing of it was set.</summary>
/// <param name="Capabilities">Its whole incoming capability set after the change.</param>
/// <param name="MultifdChannels">Its incoming <c>multifd-channels</c> after the change (1..255).</param>
public sealed record DrillIncoming(MigrationCapabilities? Capabilities, int? MultifdChannels)
{
    /// <summary>e.g. <c>capabilities return-path,switchover-ack,multifd, multifd-channels 4</c>.</summary>
    public override string ToString() => string.Join(", ", new[]
    {
        Capabilities is { } caps ? $"capabilities {caps}" : null,
        MultifdChannels is { } channels ? $"multifd-channels {channels}" : null,
    }.OfType<string>());
}

/// <summary>An evacuation's plan: moves, and the VMs that stay (with why).</summary>
public sealed record DrillEvacuation(IReadOnlyList<(string Vm, string To)> Moves, IReadOnlyList<(string Vm, string Reason)> Staying);

/// <summary>A migration known from the fleet's list, hosts as the scenario names them, with the phases its source reported (and when).</summary>
public sealed record DrillMigrationSeen(MigrationId Id, string Vm, string Source, string Destination, IReadOnlyList<(string Phase, DateTimeOffset At)>? Phases = null);

public sealed class DrillStepException(string message) : Exception(message);

public enum NodeFate
{
    Alive,

    /// <summary>The scenario killed it: its VMs went down with it.</summary>
    Killed,

    /// <summary>Its ActorSystem ended without the scenario asking (e.g. the cluster downed it).</summary>
    Died,
}
