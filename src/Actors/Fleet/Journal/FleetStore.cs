using Akka.Actor;
using Akka.Event;
using Akka.Persistence;
using static Orchestrator.Actors.Fleet.Journal.FleetJournal;

namespace Orchestrator.Actors.Fleet.Journal;

/// <summary>
/// The fleet coordinator's journal writer, a child of the coordinator. It answers each event with
/// <see cref="FleetJournal.Written"/> once the event is durable, so the coordinator acts only on
/// what a successor would recover. A write or recovery failure stops it; the coordinator then
/// restarts and recovers from what was written.
/// </summary>
internal sealed class FleetStore : ReceivePersistentActor
{
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly FleetState _state;

    public FleetStore(int finishedPerVm)
    {
        _state = new FleetState(finishedPerVm);
        Recover<SnapshotOffer>(offer =>
        {
            if (offer.Snapshot is FleetSnapshot snapshot)
                _state.Load(snapshot);
        });
        Recover<IFleetEvent>(_state.Apply);
        Recover<RecoveryCompleted>(_ =>
        {
            _log.Info("Fleet store recovered at event {0}", LastSequenceNr);
            Context.Parent.Tell(new Recovered(_state.ToSnapshot(), LastSequenceNr));
        });
        Command<IFleetEvent>(e =>
        {
            var replyTo = Sender;
            Persist(e, written =>
            {
                _state.Apply(written);
                replyTo.Tell(new Written(LastSequenceNr));
                if (LastSequenceNr % SnapshotEvery == 0)
                    SaveSnapshot(_state.ToSnapshot());
            });
        });
        Command<SaveSnapshotSuccess>(ok =>
        {
            // The snapshot covers everything before it: older events and snapshots only slow recovery.
            DeleteMessages(ok.Metadata.SequenceNr);
            DeleteSnapshots(new SnapshotSelectionCriteria(ok.Metadata.SequenceNr - 1));
        });
        Command<SaveSnapshotFailure>(failed => _log.Warning("Fleet store snapshot failed: {0}", failed.Cause.Message));
        Command<DeleteMessagesSuccess>(_ => { });
        Command<DeleteMessagesFailure>(failed => _log.Warning("Fleet store cleanup failed: {0}", failed.Cause.Message));
        Command<DeleteSnapshotsSuccess>(_ => { });
        Command<DeleteSnapshotsFailure>(failed => _log.Warning("Fleet store cleanup failed: {0}", failed.Cause.Message));
    }

    public override string PersistenceId => FleetJournal.PersistenceId;

    public static Props Props(int finishedPerVm) => Akka.Actor.Props.Create(() => new FleetStore(finishedPerVm));

    protected override void OnRecoveryFailure(Exception reason, object? message = null)
    {
        _log.Error(reason, "Fleet store could not recover from the journal: {0}", reason.Message);
        base.OnRecoveryFailure(reason, message);
    }

    protected override void OnPersistRejected(Exception cause, object @event, long sequenceNr)
    {
        // The coordinator waits for every write: stopping tells it at once instead of after its timeout.
        _log.Error(cause, "Fleet store rejected {0}: {1}", @event.GetType().Name, cause.Message);
        Context.Stop(Self);
    }

    protected override void OnPersistFailure(Exception cause, object @event, long sequenceNr)
    {
        _log.Error(cause, "Fleet store could not write {0}: {1}", @event.GetType().Name, cause.Message);
        base.OnPersistFailure(cause, @event, sequenceNr);
    }
}
