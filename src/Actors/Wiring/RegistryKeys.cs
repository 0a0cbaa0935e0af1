namespace Orchestrator.Actors.Wiring;

/// <summary>Registry key for a node's VM host actor.</summary>
public sealed class VmHostKey;

/// <summary>Registry key for the proxy to the fleet coordinator singleton (cluster members only).</summary>
public sealed class FleetKey;

/// <summary>Registry key for the proxy to the ownership ledger singleton, which fences commits (cluster members only).</summary>
public sealed class OwnershipKey;

/// <summary>Registry key for the test-only fault injector; registered only with fault injection on.</summary>
public sealed class FaultsKey;
