using Akka.Actor;
using Akka.Persistence;
using Orchestrator.Actors.Fleet;
using Orchestrator.Actors.Fleet.Journal;
using static Orchestrator.Actors.Fleet.Journal.FleetEvents;

namespace Orchestrator.Tests.Fleet;

/// <summary>
/// The fleet's journal without the coordinator around it: recovers exactly as the coordinator does
/// (a snapshot through <see cref="FleetState.From"/>, then every event through <see cref="FleetState.Apply"/>)
/// and hands the state to a probe; writes the events it is sent, answering <see cref="Written"/>.
/// </summary>
internal sealed class FleetJournalProbe : ReceivePersistentActor
{
    public sealed record Written(long SequenceNr);

    public sealed record Recovered(FleetState State);

    public sealed record TakeSnapshot
    {
        public static readonly TakeSnapshot Instance = new();
    }

    private FleetState _state = new(new FleetLimits());
    private IActorRef? _snapshotAsker;

    public FleetJournalProbe(IActorRef probe)
    {
        Recover<SnapshotOffer>(offer => _state = FleetState.From((FleetSnapshot)offer.Snapshot, new FleetLimits()));
        Recover<IFleetEvent>(e => _state.Apply(e));
        Recover<RecoveryCompleted>(_ => probe.Tell(new Recovered(_state)));
        Command<IFleetEvent>(e =>
        {
            var replyTo = Sender;
            Persist(e, written =>
            {
                _state.Apply(written);
                replyTo.Tell(new Written(LastSequenceNr));
            });
        });
        Command<TakeSnapshot>(_ =>
        {
            _snapshotAsker = Sender;
            SaveSnapshot(_state.ToSnapshot());
        });
        Command<SaveSnapshotSuccess>(ok => _snapshotAsker?.Tell(ok));
        Command<SaveSnapshotFailure>(failed => _snapshotAsker?.Tell(failed));
    }

    public override string PersistenceId => FleetEvents.PersistenceId;

    public static Props Props(IActorRef probe) => Akka.Actor.Props.Create(() => new FleetJournalProbe(probe));
}
