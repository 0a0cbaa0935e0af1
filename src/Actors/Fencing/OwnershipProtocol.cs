using Orchestrator.Actors.Migration;
using Orchestrator.Actors.Wire;

namespace Orchestrator.Actors.Fencing;

/// <summary>
/// Fencing: who owns a VM, as an epoch recorded in the fleet's durable store by the ownership ledger
/// (a cluster singleton). A migration moves ownership to epoch N+1 only through <see cref="Commit"/>;
/// the destination starts only once <see cref="Resolve"/> says that commit is recorded; a source that
/// lost its destination after stopping, or a destination that lost its source, asks <see cref="Resolve"/>,
/// which fences the migration's epoch unless it was committed. So at most one copy of a VM ever runs,
/// whichever messages are lost.
/// </summary>
public static class OwnershipProtocol
{
    /// <summary>The ledger's one journal.</summary>
    public const string PersistenceId = "ownership";

    /// <summary>Source to ledger, with the VM stopped and the destination verified: move ownership.</summary>
    /// <param name="Epoch">The new epoch: the source copy's epoch plus one.</param>
    public sealed record Commit(string Vm, MigrationId Migration, string Source, string Destination, long Epoch) : IHostWire;

    /// <summary>
    /// Either side, when it must know: answered <see cref="Committed"/> if the commit is recorded, else the
    /// migration is fenced first and answered <see cref="Fenced"/>. A destination asks before it starts.
    /// </summary>
    public sealed record Resolve(string Vm, MigrationId Migration) : IHostWire;

    /// <summary>The migration's commit is recorded: its destination owns the VM at <paramref name="Epoch"/>.</summary>
    public sealed record Committed(string Vm, MigrationId Migration, long Epoch) : IHostWire;

    /// <summary>The migration's epoch is fenced: it can never commit, its destination never starts.</summary>
    public sealed record Fenced(string Vm, MigrationId Migration) : IHostWire;

    /// <summary>The ledger will not commit: the copy asking is stale (another commit moved the VM to a newer epoch).</summary>
    public sealed record Refused(string Vm, MigrationId Migration, string Reason) : IHostWire;

    /// <summary>Answered with <see cref="OwnerOf"/>.</summary>
    public sealed record GetOwner(string Vm) : IHostWire;

    /// <param name="Owner">The owning node's address; null when no migration of the VM ever committed.</param>
    public sealed record OwnerOf(string Vm, string? Owner, long Epoch) : IHostWire;

    // ---- journal -----------------------------------------------------------------------------

    public interface IOwnershipEvent : IHostWire;

    public sealed record OwnershipMoved(string Vm, MigrationId Migration, string Source, string Destination, long Epoch) : IOwnershipEvent;

    public sealed record EpochFenced(string Vm, MigrationId Migration) : IOwnershipEvent;

    public sealed record OwnershipSnapshot(IReadOnlyList<OwnershipMoved> Owners, IReadOnlyList<EpochFenced> Fenced) : IHostWire;
}
