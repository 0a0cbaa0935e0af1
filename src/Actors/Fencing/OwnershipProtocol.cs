namespace Orchestrator.Actors.Fencing;

/// <summary>
/// INTERNAL API: for this project's executable and drills; it may change without notice.
/// Fencing: who owns a VM, as an epoch the ownership ledger (a cluster singleton) records durably. A migration moves ownership to
/// epoch N+1 only through <see cref="Commit"/>, and its destination starts only once that is recorded; a side that lost the other after
/// the stop asks <see cref="Resolve"/>, which fences the epoch unless committed. So at most one copy runs, whichever messages are lost.
/// </summary>
[InternalApi]
public static class OwnershipProtocol
{
    /// <summary>The ledger's one journal.</summary>
    public const string PersistenceId = "ownership";

    /// <summary>Source to ledger, with the VM stopped and the destination verified: move ownership.</summary>
    /// <param name="Epoch">The new epoch: the source copy's epoch plus one.</param>
    public sealed record Commit(string Vm, MigrationId Migration, string Source, string Destination, long Epoch) : IHostWire;

    /// <summary>Either side, when it must know: <see cref="Committed"/> if recorded, else the migration is fenced and answered <see cref="Fenced"/>.</summary>
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

    // ---- creating a VM ---------------------------------------------------------------------
    // A create reserves the name (one at a time cluster-wide), checks no host runs it, then claims it at an epoch above any the
    // name ever had, so a copy left from an earlier VM of that name can never commit over it.

    /// <summary>Answered <see cref="NameReserved"/>, or <see cref="NameRefused"/> while another create of the name holds it (or for a name no VM may have).</summary>
    public sealed record ReserveName(string Vm) : IHostWire;

    /// <summary>The name is held for <paramref name="Token"/> until released, or for <see cref="ReservationTime"/> at most.</summary>
    public sealed record NameReserved(string Vm, Guid Token) : IHostWire;

    public sealed record NameRefused(string Vm, string Reason) : IHostWire;

    /// <summary>With the reservation held and no copy found: record the VM on <paramref name="Host"/>; answered <see cref="NameClaimed"/> or <see cref="NameRefused"/>.</summary>
    public sealed record ClaimName(string Vm, Guid Token, string Host) : IHostWire;

    /// <summary>The VM is recorded: create it at <paramref name="Epoch"/>.</summary>
    public sealed record NameClaimed(string Vm, long Epoch) : IHostWire;

    /// <summary>The create is over (made or not): the next create of the name may go on. Not answered.</summary>
    public sealed record ReleaseName(string Vm, Guid Token) : IHostWire;

    /// <summary>How long a reservation holds when its create never releases it (its API node died, say).</summary>
    public static readonly TimeSpan ReservationTime = TimeSpan.FromSeconds(60);

    // ---- journal -----------------------------------------------------------------------------

    public interface IOwnershipEvent : IHostWire;

    /// <summary>An event that names a VM's owner and epoch from now on.</summary>
    public interface IOwnerChange : IOwnershipEvent
    {
        string Vm { get; }
        string Owner { get; }
        long Epoch { get; }
    }

    public sealed record OwnershipMoved(string Vm, MigrationId Migration, string Source, string Destination, long Epoch) : IOwnerChange
    {
        string IOwnerChange.Owner => Destination;
    }

    /// <summary>A VM was created on <paramref name="Host"/> (a node address) at <paramref name="Epoch"/>.</summary>
    public sealed record VmCreated(string Vm, string Host, long Epoch) : IOwnerChange
    {
        string IOwnerChange.Owner => Host;
    }

    public sealed record EpochFenced(string Vm, MigrationId Migration) : IOwnershipEvent;

    /// <param name="Created">The owners whose last change was their creation (absent in snapshots written before creates were recorded).</param>
    public sealed record OwnershipSnapshot(IReadOnlyList<OwnershipMoved> Owners, IReadOnlyList<EpochFenced> Fenced, IReadOnlyList<VmCreated>? Created = null) : IHostWire;
}
