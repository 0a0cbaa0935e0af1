namespace Orchestrator.Actors.Fleet;

/// <summary>A VM no other host can take right now, and why, so the operator can free room or cancel the drain.</summary>
public sealed record Unplaceable(string Vm, long Size, string Reason);
