using Akka.Pattern;
using Akka.Persistence;
using static Orchestrator.Actors.Fencing.OwnershipProtocol;

namespace Orchestrator.Actors.Fencing;

/// <summary>
/// Who owns each VM, durably, as a singleton apart from the fleet coordinator: its answers are on the stop-copy path, so it waits on
/// nothing but its own journal. Every answer follows a durable write, so a successor recovers the same decisions.
/// </summary>
internal sealed class OwnershipLedger : ReceivePersistentActor
{
    /// <summary>Fenced and committed migrations remembered; older ones cannot still be in flight.</summary>
    private const int Remembered = 10_000;

    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Dictionary<string, IOwnerChange> _owners = [];
    private readonly Dictionary<MigrationId, OwnershipMoved> _commits = [];
    private readonly Dictionary<MigrationId, EpochFenced> _fenced = [];
    private readonly Queue<MigrationId> _order = new();

    /// <summary>Names being created now; in memory only (a successor starts with none, and a create it cut short fails its claim).</summary>
    private readonly Dictionary<string, (Guid Token, DateTime Until)> _reservations = [];

    public OwnershipLedger()
    {
        Recover<SnapshotOffer>(offer =>
        {
            if (offer.Snapshot is not OwnershipSnapshot snapshot)
                return;
            foreach (var moved in snapshot.Owners)
                Apply(moved);
            foreach (var fenced in snapshot.Fenced)
                Apply(fenced);
            foreach (var created in snapshot.Created ?? [])
                Apply(created);
        });
        Recover<IOwnershipEvent>(Apply);
        Command<Commit>(OnCommit);
        Command<Resolve>(OnResolve);
        Command<ReserveName>(OnReserve);
        Command<ClaimName>(OnClaim);
        Command<ReleaseName>(release =>
        {
            if (_reservations.TryGetValue(release.Vm, out var held) && held.Token == release.Token)
                _reservations.Remove(release.Vm);
        });
        Command<GetOwner>(get => Sender.Tell(_owners.TryGetValue(get.Vm, out var owner)
            ? new OwnerOf(get.Vm, owner.Owner, owner.Epoch)
            : new OwnerOf(get.Vm, null, 0)));
        Command<SaveSnapshotSuccess>(ok => DeleteMessages(ok.Metadata.SequenceNr));
        Command<SaveSnapshotFailure>(failed => _log.Warning("Ownership ledger snapshot failed: {0}", failed.Cause.Message));
        Command<DeleteMessagesSuccess>(_ => { });
        Command<DeleteMessagesFailure>(_ => { });
    }

    public override string PersistenceId => OwnershipProtocol.PersistenceId;

    public static Props Props() => Akka.Actor.Props.Create(() => new OwnershipLedger());

    /// <summary>As the singleton runs it: a journal failure stops it (no answer without a durable write); it recovers after a backoff.</summary>
    public static Props Supervised() => BackoffSupervisor.Props(
        Backoff.OnStop(Props(), "ledger", TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(10), 0.2, maxNrOfRetries: -1));

    /// <summary>What the ledger decided of a migration, if it did: committed, or fenced (its source resumes, its destination never starts).</summary>
    private object? Decision(string vm, MigrationId migration) =>
        _commits.TryGetValue(migration, out var moved) ? new Committed(vm, migration, moved.Epoch)
        : _fenced.ContainsKey(migration) ? new Fenced(vm, migration)
        : null;

    private void OnCommit(Commit commit)
    {
        if (Decision(commit.Vm, commit.Migration) is { } decided)
        {
            Sender.Tell(decided); // a retry of a decided commit
            return;
        }
        var current = _owners.TryGetValue(commit.Vm, out var owner) ? owner.Epoch : 0;
        if (commit.Epoch <= current)
        {
            Sender.Tell(new Refused(commit.Vm, commit.Migration,
                $"stale epoch {commit.Epoch}: {commit.Vm} is at epoch {current} on {owner!.Owner}; this copy must not run"));
            return;
        }
        var replyTo = Sender;
        Persist(new OwnershipMoved(commit.Vm, commit.Migration, commit.Source, commit.Destination, commit.Epoch), moved =>
        {
            Apply(moved);
            _log.Info("Ownership of {0} moved to {1} at epoch {2} (migration {3})", moved.Vm, moved.Destination, moved.Epoch, moved.Migration);
            replyTo.Tell(new Committed(moved.Vm, moved.Migration, moved.Epoch));
            SnapshotNow();
        });
    }

    private void OnResolve(Resolve resolve)
    {
        if (Decision(resolve.Vm, resolve.Migration) is { } decided)
        {
            Sender.Tell(decided);
            return;
        }
        var replyTo = Sender;
        Persist(new EpochFenced(resolve.Vm, resolve.Migration), fenced =>
        {
            Apply(fenced);
            _log.Warning("Migration {0} of {1} fenced: it can never commit, its source resumes", fenced.Migration, fenced.Vm);
            replyTo.Tell(new Fenced(fenced.Vm, fenced.Migration));
            SnapshotNow();
        });
    }

    private void OnReserve(ReserveName reserve)
    {
        if (Host.VmName.Problem(reserve.Vm) is { } badName)
        {
            Sender.Tell(new NameRefused(reserve.Vm, badName));
            return;
        }
        var now = DateTime.UtcNow;
        if (_reservations.TryGetValue(reserve.Vm, out var held) && held.Until > now)
        {
            Sender.Tell(new NameRefused(reserve.Vm, $"another create of VM '{reserve.Vm}' is in progress; try again when it has finished"));
            return;
        }
        if (_reservations.Count >= 1000)
        {
            foreach (var expired in _reservations.Where(r => r.Value.Until <= now).Select(r => r.Key).ToArray())
                _reservations.Remove(expired);
        }
        var token = Guid.NewGuid();
        _reservations[reserve.Vm] = (token, now + ReservationTime);
        Sender.Tell(new NameReserved(reserve.Vm, token));
    }

    private void OnClaim(ClaimName claim)
    {
        if (!_reservations.TryGetValue(claim.Vm, out var held) || held.Token != claim.Token || held.Until <= DateTime.UtcNow)
        {
            Sender.Tell(new NameRefused(claim.Vm, $"the reservation of VM name '{claim.Vm}' ran out before the create; try again"));
            return;
        }
        // Above every epoch the name ever had: a stale copy of an earlier VM of that name can never commit.
        var epoch = (_owners.TryGetValue(claim.Vm, out var owner) ? owner.Epoch : 0) + 1;
        var replyTo = Sender;
        Persist(new VmCreated(claim.Vm, claim.Host, epoch), created =>
        {
            Apply(created);
            _log.Info("VM {0} created on {1} at epoch {2}", created.Vm, created.Host, created.Epoch);
            replyTo.Tell(new NameClaimed(created.Vm, created.Epoch));
            SnapshotNow();
        });
    }

    private void Apply(IOwnershipEvent e)
    {
        switch (e)
        {
            case OwnershipMoved moved:
                _owners[moved.Vm] = moved;
                _commits[moved.Migration] = moved;
                Remember(moved.Migration);
                break;
            case VmCreated created:
                _owners[created.Vm] = created;
                break;
            case EpochFenced fenced:
                _fenced[fenced.Migration] = fenced;
                Remember(fenced.Migration);
                break;
        }
    }

    private void Remember(MigrationId migration)
    {
        _order.Enqueue(migration);
        while (_order.Count > Remembered)
        {
            var old = _order.Dequeue();
            _commits.Remove(old);
            _fenced.Remove(old);
        }
    }

    private void SnapshotNow()
    {
        if (LastSequenceNr % 100 == 0)
            SaveSnapshot(new OwnershipSnapshot(_owners.Values.OfType<OwnershipMoved>().ToArray(), _fenced.Values.ToArray(),
                _owners.Values.OfType<VmCreated>().ToArray()));
    }

    protected override void OnPersistRejected(Exception cause, object @event, long sequenceNr)
    {
        _log.Error(cause, "Ownership ledger rejected {0}: {1}", @event.GetType().Name, cause.Message);
        Context.Stop(Self);
    }
}
