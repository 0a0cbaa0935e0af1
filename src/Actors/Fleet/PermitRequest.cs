namespace Orchestrator.Actors.Fleet;

/// <summary>A migration asking for or holding a permit; <paramref name="Sequence"/>, the admission order, serves equal priorities in turn.</summary>
internal sealed record PermitRequest(string Vm, string Source, string Destination, MigrationPriority Priority, long Sequence);
