namespace Orchestrator.Actors.Fleet;

/// <summary>
/// Runs the fleet coordinator as the singleton. A journal that fails stops it (nothing not durable is acted on); until a new one
/// recovers, every command hears why at once, not after an ask timeout, and the coordinator restarts after a backoff
/// (1 s, doubling to 10 s). Commands arriving while the first one recovers wait for it.
/// </summary>
internal sealed class FleetSupervisor : ReceiveActor, IWithTimers, IWithUnboundedStash
{
    /// <summary>Sent by the coordinator to its parent once it has recovered its journal.</summary>
    public sealed record Ready { public static readonly Ready Instance = new(); }

    private sealed record Restart { public static readonly Restart Instance = new(); }

    public const string Unavailable =
        "The fleet store is unavailable: the fleet coordinator could not read or write its journal and tries again every few seconds";

    private static readonly TimeSpan MinBackoff = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(10);

    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Props _coordinator;

    public FleetSupervisor(Props coordinator)
    {
        _coordinator = coordinator;
        Starting(failures: 0);
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public IStash Stash { get; set; } = null!;

    // A coordinator that throws starts over from its journal, as one that stopped does.
    protected override SupervisorStrategy SupervisorStrategy() => new OneForOneStrategy(_ => Directive.Stop);

    private void Starting(int failures)
    {
        var child = Context.Watch(Context.ActorOf(_coordinator, $"coordinator-{failures}"));
        Receive<Ready>(_ =>
        {
            if (failures > 0)
                _log.Info("Fleet coordinator recovered its journal after {0} failed attempt(s)", failures);
            Become(() => Running(child));
            Stash.UnstashAll();
        });
        Receive<Terminated>(t => t.ActorRef.Equals(child), _ => Failed(failures + 1));
        ReceiveAny(message =>
        {
            if (failures == 0)
                Stash.Stash();
            else
                Refuse(message);
        });
    }

    private void Running(IActorRef child)
    {
        Receive<Terminated>(t => t.ActorRef.Equals(child), _ => Failed(1));
        ReceiveAny(message => child.Forward(message));
    }

    private void Failed(int failures)
    {
        var backoff = TimeSpan.FromTicks(Math.Min(MaxBackoff.Ticks, MinBackoff.Ticks << Math.Min(failures - 1, 10)));
        _log.Error("Fleet coordinator stopped (its journal could not be read or written); starting it again in {0:0.#} s", backoff.TotalSeconds);
        Stash.UnstashAll();
        Timers.StartSingleTimer(Restart.Instance, Restart.Instance, backoff);
        Become(() =>
        {
            Receive<Restart>(_ => Become(() => Starting(failures)));
            ReceiveAny(Refuse);
        });
    }

    /// <summary>A command hears why at once; a source's progress report is dropped (it reports again).</summary>
    private void Refuse(object message)
    {
        if (message is not FleetProtocol.MigrationReport)
            Sender.Tell(CommandResult.Conflict(Unavailable));
    }
}
