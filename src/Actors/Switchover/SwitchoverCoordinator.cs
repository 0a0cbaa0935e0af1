using static Orchestrator.Actors.Switchover.SwitchoverProtocol;

namespace Orchestrator.Actors.Switchover;

/// <summary>
/// One migration's pending-ack counter: the destination names the devices that will ack, each decrements once, at zero the source may
/// stop its VM; a repeated, unknown or foreign ack is logged, never counted. While the migration waits for acks it also asks the destination
/// every second which devices approved: an ack or the count is one message Akka.Remote may drop, and the answer counts what it would have.
/// </summary>
internal sealed class SwitchoverCoordinator : ReceiveActor, IWithTimers, IWithStash
{
    private sealed record DeadlinePassed { public static readonly DeadlinePassed Instance = new(); }

    /// <summary>Asks the destination for its approvals: on the timer while the migration waits for acks.</summary>
    private sealed record AskDestination { public static readonly AskDestination Instance = new(); }

    /// <summary>How often a waiting migration asks; acks normally arrive within milliseconds of the approval.</summary>
    internal static readonly TimeSpan AskInterval = TimeSpan.FromSeconds(1);

    private const int MaxEarlyAcks = 64;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly MigrationId _migration;
    private readonly IActorRef _migrationActor;
    private readonly TimeProvider _time;
    private readonly long _start;
    private readonly HashSet<DeviceName> _pending = [];
    private readonly Dictionary<DeviceName, TimeSpan> _acked = [];
    private readonly HashSet<DeviceName> _countedFromAnswer = [];
    private IActorRef? _destination;
    private bool _asked;
    private Approvals? _lastAnswer;
    private int _stashed;
    private TimeSpan? _armedAt;

    public SwitchoverCoordinator(MigrationId migration, IActorRef migrationActor, TimeProvider time, long start)
    {
        _migration = migration;
        _migrationActor = migrationActor;
        _time = time;
        _start = start;
        WaitingForExpectation();
    }

    public ITimerScheduler Timers { get; set; } = null!;
    public IStash Stash { get; set; } = null!;

    /// <summary>Time since the migration started, as the migration measures it: ack times are reported on its clock.</summary>
    private TimeSpan SinceStart => _time.GetElapsedTime(_start);

    public static Props Props(MigrationId migration, IActorRef migrationActor, TimeProvider time, long start) =>
        Akka.Actor.Props.Create(() => new SwitchoverCoordinator(migration, migrationActor, time, start));

    private void WaitingForExpectation()
    {
        Receive<ExpectAcks>(expect =>
        {
            if (Ours(expect.Migration, expect))
                Expect(expect.Devices);
        });
        Receive<Approvals>(answer =>
        {
            if (!Ours(answer.Migration, answer))
                return;
            _lastAnswer = answer;
            if (answer.Expected is null)
                return; // switchover-ack is off at the destination: its count never comes, and the deadline says so
            _log.Warning("Migration {0}: the destination's ack count never arrived; taken from its answer", _migration);
            Expect(answer.Expected);
            CountApproved(answer);
        });
        // An ack may overtake the count; keep a few until the count arrives.
        Receive<DeviceAcked>(ack =>
        {
            if (++_stashed <= MaxEarlyAcks)
                Stash.Stash();
            else
                _log.Warning("Migration {0}: ack from {1} before any count, beyond {2} early acks; dropped", _migration, ack.Device, MaxEarlyAcks);
        });
        Receive<ArmDeadline>(Arm);
        Receive<DeadlinePassed>(_ => _migrationActor.Tell(new AckDeadlinePassed([], CountKnown: false, DestinationSays())));
        Asking();
    }

    private void CountingDown()
    {
        Receive<DeviceAcked>(ack =>
        {
            if (!Ours(ack.Migration, ack))
                return;
            if (_countedFromAnswer.Remove(ack.Device))
            {
                _log.Info("Migration {0}: the ack from {1} arrived after the destination's answer had counted it", _migration, ack.Device);
                return;
            }
            if (_acked.ContainsKey(ack.Device))
            {
                _log.Warning("Migration {0}: repeated switchover ack from {1}; the counter stays at {2}", _migration, ack.Device, _pending.Count);
                return;
            }
            if (!_pending.Contains(ack.Device))
            {
                _log.Warning("Migration {0}: switchover ack from {1}, which owes none; ignored", _migration, ack.Device);
                return;
            }
            Count(ack.Device);
            _log.Info("Migration {0}: {1} acked; {2} ack(s) pending", _migration, ack.Device, _pending.Count);
            Report();
        });
        Receive<Approvals>(answer =>
        {
            if (!Ours(answer.Migration, answer))
                return;
            _lastAnswer = answer;
            CountApproved(answer);
        });
        Receive<ExpectAcks>(expect => _log.Warning("Migration {0}: a second ack count ({1}) ignored", _migration, expect.Devices.Count));
        Receive<ArmDeadline>(Arm);
        Receive<DeadlinePassed>(_ =>
        {
            if (_pending.Count > 0)
                _migrationActor.Tell(new AckDeadlinePassed(_pending.ToArray(), CountKnown: true, DestinationSays()));
        });
        Asking();
    }

    /// <summary>Where and when to ask the destination: valid until switchover is allowed.</summary>
    private void Asking()
    {
        Receive<DestinationPrepared>(prepared => _destination = prepared.Incoming);
        Receive<AskDestination>(_ =>
        {
            _destination?.Tell(new ApprovalsQuery(_migration));
            _asked |= _destination is not null;
        });
    }

    /// <summary>For the deadline's error text: what the destination said when last asked, if it was.</summary>
    private string? DestinationSays() => (_asked, _lastAnswer) switch
    {
        (_, { Expected: null }) => "the destination says switchover-ack is off there",
        (_, not null) => "asked, the destination says it has not approved yet",
        (true, null) => "the destination did not answer when asked",
        _ => null,
    };

    private void Expect(IReadOnlyList<DeviceName> devices)
    {
        foreach (var device in devices)
            _pending.Add(device);
        _log.Info("Migration {0}: {1} device(s) owe a switchover ack: {2}", _migration, _pending.Count, string.Join(", ", _pending));
        Become(CountingDown);
        Stash.UnstashAll();
        Report();
    }

    /// <summary>Devices the destination says approved, whose ack has not arrived: counted now, and said so.</summary>
    private void CountApproved(Approvals answer)
    {
        var approved = answer.Approved.Where(_pending.Contains).ToArray();
        foreach (var device in approved)
        {
            Count(device);
            _countedFromAnswer.Add(device);
            _log.Warning("Migration {0}: the destination says {1} approved the switchover, but its ack has not arrived; counted from the answer ({2} ack(s) pending)",
                _migration, device, _pending.Count);
        }
        if (approved.Length > 0)
            Report();
    }

    private void Count(DeviceName device)
    {
        _pending.Remove(device);
        _acked[device] = SinceStart;
    }

    private void Allowed()
    {
        Receive<DeviceAcked>(ack =>
        {
            if (_countedFromAnswer.Remove(ack.Device))
                _log.Info("Migration {0}: the ack from {1} arrived after the destination's answer had counted it", _migration, ack.Device);
            else
                _log.Warning("Migration {0}: ack from {1} after switchover was allowed; ignored", _migration, ack.Device);
        });
        Receive<ExpectAcks>(_ => { });
        Receive<Approvals>(_ => { });
        Receive<ArmDeadline>(_ => { });
        Receive<DeadlinePassed>(_ => { });
        Receive<DestinationPrepared>(_ => { });
        Receive<AskDestination>(_ => { });
    }

    /// <summary>Tells the migration where the count stands; at zero, switchover is allowed and nothing is awaited any more.</summary>
    private void Report()
    {
        var allowed = _pending.Count == 0;
        var owed = _pending.ToDictionary(d => d, _ => new DeviceAck(AckState.Pending));
        foreach (var (device, at) in _acked)
            owed[device] = new DeviceAck(AckState.Acked, at);
        _migrationActor.Tell(new AcksChanged(owed, _pending.Count, allowed));
        if (!allowed)
            return;
        Timers.Cancel(DeadlinePassed.Instance);
        Timers.Cancel(AskDestination.Instance);
        Become(Allowed);
    }

    /// <summary>
    /// The deadline counts from the first arm (converged); a later arm (a changed switchover-ack-timeout) moves it to first arm + the new
    /// timeout: already past fires at once, 0 waits without limit.
    /// </summary>
    private void Arm(ArmDeadline arm)
    {
        _armedAt ??= SinceStart;
        // Waiting for acks from here on, with or without a deadline: ask, so that a lost ack cannot hold the switchover.
        if (!Timers.IsTimerActive(AskDestination.Instance))
            Timers.StartPeriodicTimer(AskDestination.Instance, AskDestination.Instance, AskInterval);
        if (arm.Timeout <= TimeSpan.Zero)
        {
            Timers.Cancel(DeadlinePassed.Instance);
            return;
        }
        var left = _armedAt.Value + arm.Timeout - SinceStart;
        Timers.StartSingleTimer(DeadlinePassed.Instance, DeadlinePassed.Instance, left > TimeSpan.Zero ? left : TimeSpan.Zero);
    }

    private bool Ours(MigrationId migration, object message)
    {
        if (migration == _migration)
            return true;
        _log.Warning("Migration {0}: {1} for migration {2} ignored", _migration, message.GetType().Name, migration);
        return false;
    }
}
