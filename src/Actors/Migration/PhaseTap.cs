namespace Orchestrator.Actors.Migration;

/// <summary>
/// INTERNAL API: for this project's executable and drills; it may change without notice.
/// Runs its callback on the publishing thread, so a fault placed at a phase lands before the migration's next step (an actor would be late).
/// </summary>
[InternalApi]
public sealed class PhaseTap : MinimalActorRef
{
    private readonly Action<MigrationPhaseReached> _callback;

    private PhaseTap(ExtendedActorSystem system, Action<MigrationPhaseReached> callback)
    {
        Provider = system.Provider;
        Path = new RootActorPath(system.Provider.DefaultAddress) / "temp" / $"phase-tap-{Guid.NewGuid():N}";
        _callback = callback;
    }

    public override ActorPath Path { get; }

    public override IActorRefProvider Provider { get; }

    /// <summary>Calls <paramref name="callback"/> for every phase a source migration of this system reaches.</summary>
    public static void Attach(ActorSystem system, Action<MigrationPhaseReached> callback) =>
        system.EventStream.Subscribe(new PhaseTap((ExtendedActorSystem)system, callback), typeof(MigrationPhaseReached));

    protected override void TellInternal(object message, IActorRef sender)
    {
        if (message is MigrationPhaseReached reached)
            _callback(reached);
    }
}
