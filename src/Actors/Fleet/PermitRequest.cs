namespace Orchestrator.Actors.Fleet;

/// <summary>
/// One migration asking for (or holding) a permit. <paramref name="Sequence"/> is the admission order, so
/// requests of the same priority are granted first come, first served.
/// </summary>
internal sealed record PermitRequest(string Vm, string Source, string Destination, MigrationPriority Priority, long Sequence);
