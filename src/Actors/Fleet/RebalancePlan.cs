namespace Orchestrator.Actors.Fleet;

/// <summary>
/// Moves that even out memory use. Spread: fullest minus emptiest used/capacity ratio over the hosts that accept VMs, before and
/// after the moves, so the user sees what the plan buys.
/// </summary>
internal sealed record RebalancePlan(IReadOnlyList<Placement> Moves, double SpreadBefore, double SpreadAfter);
