namespace Orchestrator.Actors.Fleet;

/// <summary>A planned move of one VM; it becomes a migration only once the ledger grants it a permit.</summary>
public sealed record Placement(string Vm, string From, string To, long Size);
