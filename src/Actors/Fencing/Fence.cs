namespace Orchestrator.Actors.Fencing;

/// <summary>What a source migration needs for fencing: the ledger (none outside a cluster), its copy's epoch, and its node.</summary>
/// <param name="Ledger">The ownership ledger's singleton proxy; null: the migration commits on its own, libvirt-style.</param>
/// <param name="Epoch">The ownership epoch of the copy being migrated.</param>
/// <param name="Node">The source node's address, recorded as the previous owner.</param>
internal sealed record Fence(IActorRef? Ledger, long Epoch, Address Node);
