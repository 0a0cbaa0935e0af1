namespace Orchestrator.Actors.Fleet;

/// <summary>Which queued migrations get a permit first. Declaration order is grant order.</summary>
public enum MigrationPriority
{
    /// <summary>Moving VMs off a draining host: maintenance waits on it, so it goes first.</summary>
    Evacuation = 0,

    /// <summary>A migration a user asked for, or a rebalance move.</summary>
    User = 1,
}
