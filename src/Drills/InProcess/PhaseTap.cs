using Akka.Actor;
using Orchestrator.Actors.Migration;

namespace Orchestrator.Drills.InProcess;

/// <summary>
/// An event-stream subscriber that runs its callback on the publishing thread, i.e. inside the source
/// migration's own message handler: a fault placed at a phase happens before the migration takes its
/// next step, not whenever a mailbox gets to it.
/// </summary>
internal sealed class PhaseTap : MinimalActorRef
{
    private readonly Action<MigrationPhaseReached> _callback;

    private PhaseTap(ExtendedActorSystem system, Action<MigrationPhaseReached> callback)
    {
        Provider = system.Provider;
        Path = new RootActorPath(system.Provider.DefaultAddress) / "temp" / "drill-phase-tap";
        _callback = callback;
    }

    public override ActorPath Path { get; }

    public override IActorRefProvider Provider { get; }

    public static void Attach(ActorSystem system, Action<MigrationPhaseReached> callback) =>
        system.EventStream.Subscribe(new PhaseTap((ExtendedActorSystem)system, callback), typeof(MigrationPhaseReached));

    protected override void TellInternal(object message, IActorRef sender)
    {
        if (message is MigrationPhaseReached reached)
            _callback(reached);
    }
}
