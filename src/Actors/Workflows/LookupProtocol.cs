namespace Orchestrator.Actors.Workflows;

/// <summary>
/// INTERNAL API: for this project's executable and drills; it may change without notice.
/// query-migrate for a VM anywhere: a node's VM host runs a <see cref="QueryMigrateLookup"/> asking the fleet and every host at once.
/// </summary>
[InternalApi]
public static class LookupProtocol
{
    /// <summary>Answered with one of the records below, whichever says most about the VM's latest migration.</summary>
    public sealed record FindMigration(string Vm);

    /// <summary>Admitted, waiting for a permit: only the fleet knows it.</summary>
    public sealed record Queued(FleetProtocol.MigrationRecord Record);

    /// <summary>The latest migration as the host it left from reports it (running or ended).</summary>
    public sealed record Found(MigrationInfo Info);

    /// <summary>Only the fleet's journal still knows the latest migration (its source host is gone).</summary>
    public sealed record Recorded(MigrationId Id, FleetEvents.MigrationOutcome Outcome);

    /// <summary>The VM is known and has never migrated (QEMU answers <c>{}</c>).</summary>
    public sealed record Never { public static readonly Never Instance = new(); }

    /// <summary>No answering host knows the VM; <paramref name="Silent"/> did not answer, so it may be on one of them.</summary>
    public sealed record Missing(IReadOnlyList<string> Silent);

    /// <summary>How long a lookup takes at most: one round of asks, all at once.</summary>
    public static readonly TimeSpan Bound = QueryMigrateLookup.AskTimeout + TimeSpan.FromSeconds(1);
}
