namespace Orchestrator.Actors.Fleet;

/// <summary>Where each VM of a draining host goes, each in exactly one list: one that fits nowhere is reported and stays, never dropped.</summary>
internal sealed record EvacuationPlan(IReadOnlyList<Placement> Moves, IReadOnlyList<Unplaceable> Unplaceable);
