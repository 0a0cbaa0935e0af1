namespace Orchestrator.Actors.Migration;

/// <summary>Points of a migration on its source where a drill can place a fault; published there as <see cref="MigrationPhaseReached"/>.</summary>
public enum MigrationPhase
{
    /// <summary>Prepare sent; the destination has not answered yet.</summary>
    Setup,

    /// <summary>The destination prepared its loaders; precopy streams run.</summary>
    Precopy,

    /// <summary>Precopy converged, but switchover waits for the destination devices' acks.</summary>
    WaitingForAcks,

    /// <summary>The source VM is stopped and its digests taken; published just before the last dirty pages and device state leave.</summary>
    StopCopy,

    /// <summary>Commit sent: the destination may start the VM, the source never resumes on its own.</summary>
    AfterCommit,
}

/// <summary>A source migration reached <paramref name="Phase"/>; for fault injection and drills, not for control.</summary>
/// <param name="Destination">The node the VM moves to, so a drill can tell where each copy lives.</param>
public sealed record MigrationPhaseReached(MigrationId Migration, string Vm, MigrationPhase Phase, Akka.Actor.Address Destination);

/// <summary>The names a phase goes by in drill files and the fault API (<c>stop-copy</c>, <c>after-commit</c>...).</summary>
public static class MigrationPhaseNames
{
    /// <summary>Every phase by name, in the order a migration passes them.</summary>
    public static readonly IReadOnlyDictionary<string, MigrationPhase> ByName = Enum.GetValues<MigrationPhase>().ToDictionary(Name);

    public static string Name(this MigrationPhase phase) => JsonNamingPolicy.KebabCaseLower.ConvertName(phase.ToString());
}
