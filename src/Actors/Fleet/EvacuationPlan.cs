namespace Orchestrator.Actors.Fleet;

/// <summary>
/// Where every VM of a draining host goes. Each VM of the host is in exactly one of the two lists: a VM
/// that fits nowhere is reported and keeps running where it is, never dropped.
/// </summary>
internal sealed record EvacuationPlan(IReadOnlyList<Placement> Moves, IReadOnlyList<Unplaceable> Unplaceable);
