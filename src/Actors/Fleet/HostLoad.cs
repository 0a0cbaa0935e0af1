namespace Orchestrator.Actors.Fleet;

/// <summary>Memory of one host as the planners see it, in bytes.</summary>
internal sealed record HostLoad(string Name, long Capacity, long Used, bool Draining, bool Reachable)
{
    /// <summary>Bytes a new VM may still take; an overcommitted host has none, not a negative amount.</summary>
    public long Free => Math.Max(0, Capacity - Used);
}
