using System.Collections.Immutable;
using Akka.Remote;
using Orchestrator.Actors.Fencing;
using Orchestrator.Actors.Switchover;
using static Orchestrator.Actors.Migration.MigrationProtocol;

namespace Orchestrator.Actors.Migration;

/// <summary>
/// The source of one migration, running QEMU's precopy loop; each phase is a behaviour whose data is passed in: <see cref="Setup"/>,
/// <see cref="Precopy"/> (switch over when the pending bytes fit the downtime limit, every ack is in and the ledger answers),
/// <see cref="PreSwitchover"/>, <see cref="StopCopy"/>, <see cref="AwaitingCommit"/>, <see cref="Committed"/>, and <see cref="Resolving"/>
/// when a commit's fate is unknown. Before the commit is asked for, any failure resumes the source VM; once it is, only the ledger's
/// word may end the migration, and after a recorded commit the source never resumes on its own.
/// </summary>
internal sealed partial class SourceMigration : ReceiveActor, IWithTimers
{
    // ---- timers, keyed by their messages ---------------------------------------------------------

    private sealed class Tick { public static readonly Tick Instance = new(); }
    private sealed class SetupTimedOut { public static readonly SetupTimedOut Instance = new(); }
    private sealed class PreSwitchoverTimedOut { public static readonly PreSwitchoverTimedOut Instance = new(); }
    private sealed class CommitTimedOut { public static readonly CommitTimedOut Instance = new(); }

    /// <summary>A destination actor stopped; the message that explains it gets <see cref="PeerStoppedGrace"/> to arrive first.</summary>
    private sealed record PeerStopped(string Reason) { public static readonly object Key = new(); }

    // ---- phase data ------------------------------------------------------------------------------

    /// <summary>Precopy runs: the destination's incoming actor, and what has been said once (the ack wait armed, a silent ledger logged).</summary>
    private sealed record Iteration(IActorRef Incoming, bool AckWaitArmed = false, bool LedgerWaitLogged = false);

    /// <summary>The source VM is stopped since <paramref name="At"/>.</summary>
    private sealed record Stopped(IActorRef Incoming, long At);

    /// <summary>Stop-copy: the streams still draining, and whether the destination has reported ready.</summary>
    private sealed record Drain(Stopped Stop, ImmutableHashSet<DeviceName> Draining, bool DestinationReady);

    /// <summary>The ledger recorded the commit at <paramref name="Epoch"/>; the destination was told to start.</summary>
    private sealed record Handover(Stopped Stop, long Epoch);

    /// <summary>Resolving the commit's fate: why, and whether the destination is still there to start.</summary>
    private sealed record Resolution(Stopped Stop, string Reason, string? PeerLost);

    private static readonly TimeSpan PeerStoppedGrace = TimeSpan.FromSeconds(1);

    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly MigrationId _id;
    private readonly VirtualMachine _vm;
    private readonly Address _destination;
    private readonly MigrationCapabilities _capabilities;
    private readonly MigrationSettings _settings;
    private readonly IActorRef _host;
    private readonly Fence _fence;
    private readonly TimeProvider _time;
    private readonly long _start;
    private readonly bool _wasRunning;
    private readonly Dictionary<DeviceName, StreamCounters> _counters;
    private readonly Dictionary<DeviceName, IActorRef> _streamers = [];
    private readonly BandwidthLimiter _limiter;
    private readonly DigestWarmer _warmer;
    private readonly PrecopyLoop _loop;
    private readonly LedgerPulse _ledgerPulse;
    private readonly QueryMigrateView _view;
    private MigrationParameters _parameters;
    private SwitchoverProtocol.AcksChanged _acks = SwitchoverProtocol.AcksChanged.Uncounted;
    private IActorRef _coordinator = ActorRefs.Nobody;

    public SourceMigration(
        MigrationId id, VirtualMachine vm, Address destination, MigrationCapabilities capabilities,
        MigrationParameters parameters, MigrationSettings settings, IActorRef host, Fence? fence = null)
    {
        _id = id;
        _vm = vm;
        _destination = destination;
        _capabilities = capabilities;
        _parameters = parameters;
        _settings = settings;
        _time = settings.Time;
        _start = _time.GetTimestamp();
        _host = host;
        _fence = fence ?? new Fence(null, 0, Address.AllSystems);
        _wasRunning = vm.State == VmRunState.Running;
        _counters = vm.Devices.ToDictionary(d => d.Name, _ => new StreamCounters());
        _limiter = new BandwidthLimiter(parameters.MaxBandwidth, settings.Time);
        _warmer = new DigestWarmer(vm);
        _loop = new PrecopyLoop(vm, _counters);
        _ledgerPulse = LedgerPulse.For(settings.OwnershipTimeouts);
        _view = new QueryMigrateView(id, vm, DateTimeOffset.UtcNow, settings.Precopy.Window) { ExpectedDowntime = parameters.DowntimeLimit };
        Setup();
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(
        MigrationId id, VirtualMachine vm, Address destination, MigrationCapabilities capabilities,
        MigrationParameters parameters, MigrationSettings settings, IActorRef host, Fence? fence = null) =>
        Akka.Actor.Props.Create(() => new SourceMigration(id, vm, destination, capabilities, parameters, settings, host, fence));

    private long Now => (long)_time.GetElapsedTime(_start).TotalMilliseconds;

    protected override void PreStart()
    {
        _coordinator = Context.ActorOf(SwitchoverCoordinator.Props(_id, Self, _time, _start), "switchover");
        Context.System.EventStream.Subscribe(Self, typeof(DisassociatedEvent));
        var host = Context.System.ActorSelection(Host.HostProtocol.PathOn(_destination));
        host.Tell(new IncomingProtocol.Prepare(_id, _vm.Spec, Self, _coordinator, _capabilities.SwitchoverAck, MultifdChannels));
        ProbeLedger(Now);
        Timers.StartSingleTimer(SetupTimedOut.Instance, SetupTimedOut.Instance, _settings.SetupTimeout);
        _log.Info("Migration {0} of {1} to {2}: setup", _id, _vm.Name, _destination);
        Reached(MigrationPhase.Setup);
    }

    protected override void PostStop() => Context.System.EventStream.Unsubscribe(Self);

    private void Reached(MigrationPhase phase) =>
        Context.System.EventStream.Publish(new MigrationPhaseReached(_id, _vm.Name, phase, _destination));

    // ---- setup -----------------------------------------------------------------------------------

    private void Setup()
    {
        Receive<IncomingProtocol.Prepared>(prepared => prepared.Migration == _id, StartPrecopy);
        Receive<IncomingProtocol.Refused>(refused => refused.Migration == _id, refused => Fail(refused.Reason));
        Receive<SetupTimedOut>(_ => Fail($"the destination host at {_destination} did not answer setup within {_settings.SetupTimeout.TotalSeconds:0} s"));
        Receive<IncomingProtocol.Failed>(failed => failed.Migration == _id, failed => Fail($"destination: {failed.Reason}"));
        Receive<DisassociatedEvent>(e => e.RemoteAddress.Equals(_destination), _ => Fail($"lost the connection to the destination {_destination}"));
        AckWait(incoming: null);
        Cancellable(incoming: null);
        Always();
    }

    private void StartPrecopy(IncomingProtocol.Prepared prepared)
    {
        Timers.Cancel(SetupTimedOut.Instance);
        Context.Watch(prepared.Incoming);
        _coordinator.Tell(new SwitchoverProtocol.DestinationPrepared(prepared.Incoming));
        _view.DestinationVm = VmStates.Paused;
        var loaders = prepared.Loaders.ToDictionary(l => l.Device, l => l.Ref);
        var missing = _vm.Devices.Where(d => !loaders.ContainsKey(d.Name)).Select(d => d.Name.Value).ToArray();
        if (missing.Length > 0)
        {
            Fail($"the destination prepared no loader for {string.Join(", ", missing)}", prepared.Incoming);
            return;
        }
        if (_capabilities.Multifd && prepared.Multifd is null)
        {
            Fail("multifd is on, but the destination opened no multifd channels", prepared.Incoming);
            return;
        }
        foreach (var device in _vm.Devices)
            device.SaveSetup(new SaveContext(_capabilities.SwitchoverAck));
        _warmer.Warm(); // so the check inside the downtime is short
        var routes = OpenChannels(prepared);
        foreach (var device in _vm.Devices)
        {
            var loader = loaders[device.Name];
            Context.Watch(loader);
            _streamers[device.Name] = Context.ActorOf(
                SourceDeviceStreamer.Props(_id, device, loader, _limiter, _settings.Precopy, _counters[device.Name], _time, routes?.Invoke(device.Name)),
                StreamNames.Streamer(device.Name));
        }
        _view.SetupTime = Now;
        _view.Status = MigrationStatus.Active;
        _view.ExpectedDowntime = _parameters.DowntimeLimit;
        _loop.Start(Now);
        Timers.StartPeriodicTimer(Tick.Instance, Tick.Instance, MigrationSettings.Tick);
        _log.Info("Migration {0}: active after {1} ms of setup", _id, _view.SetupTime);
        Become(() => Precopy(new Iteration(prepared.Incoming)));
        Reached(MigrationPhase.Precopy);
    }

    // ---- precopy ---------------------------------------------------------------------------------

    private void Precopy(Iteration iteration)
    {
        Receive<Tick>(_ => Iterate(iteration));
        Receive<PauseGuest>(_ =>
        {
            if (_vm.State != VmRunState.Running)
                return;
            _vm.Pause();
            _log.Warning("Migration {0}: guest of {1} paused so the migration converges", _id, _vm.Name);
        });
        Receive<ParametersChanged>(changed =>
        {
            ApplyParameters(changed.Parameters);
            // A wait for acks under way takes the new switchover-ack-timeout.
            if (iteration.AckWaitArmed)
                _coordinator.Tell(new SwitchoverProtocol.ArmDeadline(TimeSpan.FromMilliseconds(changed.Parameters.SwitchoverAckTimeout)));
        });
        AckWait(iteration.Incoming);
        Cancellable(iteration.Incoming);
        DestinationFailures(iteration.Incoming, reason => Fail(reason, iteration.Incoming));
        Always();
    }

    /// <summary>QEMU's migration_iteration_run, every 100 ms.</summary>
    private void Iterate(Iteration iteration)
    {
        var now = Now;
        var tick = _loop.Next(now, _parameters, _capabilities.AutoConverge);
        _view.ExpectedDowntime = tick.ExpectedDowntime;
        if (tick.Throttle is { } percent)
        {
            _vm.ThrottlePercent = percent;
            _log.Info("Migration {0}: auto-converge throttles the guest to {1}%", _id, percent);
        }
        ProbeLedger(now);
        if (tick.Converged)
        {
            if (!CanSwitchover())
            {
                if (!iteration.AckWaitArmed)
                {
                    _coordinator.Tell(new SwitchoverProtocol.ArmDeadline(TimeSpan.FromMilliseconds(_parameters.SwitchoverAckTimeout)));
                    _log.Info("Migration {0}: converged with {1} bytes pending; waiting for switchover acks from: {2}", _id, tick.Pending,
                        string.Join(", ", _acks.Owed.Where(a => a.Value.State == AckState.Pending).Select(a => a.Key.Value).DefaultIfEmpty("(no count from the destination yet)")));
                    Reached(MigrationPhase.WaitingForAcks);
                    iteration = iteration with { AckWaitArmed = true };
                    Become(() => Precopy(iteration));
                }
            }
            else if (_fence.Ledger is null || _ledgerPulse.Fresh(now))
            {
                Switchover(iteration.Incoming, tick.Pending);
                return;
            }
            else if (!WaitForLedger(iteration, now))
                return;
        }
        // Hash what the guest wrote since the last tick, so the check at the stop has little left to do.
        _warmer.Warm();
        foreach (var streamer in _streamers.Values)
            streamer.Tell(PrecopyLocal.Pump.Instance);
    }

    /// <summary>QEMU's can_switchover: the capability is off, or every device acked.</summary>
    private bool CanSwitchover() => !_capabilities.SwitchoverAck || _acks.Allowed;

    /// <summary>
    /// The VM stops only while the ownership ledger answers: the commit must be recorded before the destination may start, so stopping
    /// during the ledger's failover would hold the VM paused throughout. Converged and waiting, precopy goes on with the VM running for as
    /// long as a source would ask the ledger to resolve; then the migration fails and the VM stays. False when the migration ended.
    /// </summary>
    private bool WaitForLedger(Iteration iteration, long now)
    {
        var bound = _settings.OwnershipTimeouts.Retry * _settings.OwnershipTimeouts.ResolveAttempts;
        if (_ledgerPulse.Silent(now) > bound.TotalMilliseconds)
        {
            Fail($"the ownership ledger has not answered for {bound.TotalSeconds:0} s, so no commit could be recorded; the VM keeps running on the source",
                iteration.Incoming);
            return false;
        }
        if (!iteration.LedgerWaitLogged)
        {
            _log.Warning("Migration {0}: converged, but the ownership ledger has not answered for {1} ms; the VM keeps running until it does",
                _id, _ledgerPulse.Silent(now));
            Become(() => Precopy(iteration with { LedgerWaitLogged = true }));
        }
        return true;
    }

    private void ProbeLedger(long now)
    {
        if (_fence.Ledger is { } ledger && _ledgerPulse.Probe(now))
            ledger.Tell(new OwnershipProtocol.GetOwner(_vm.Name));
    }

    private void Switchover(IActorRef incoming, long pending)
    {
        Timers.Cancel(Tick.Instance);
        if (_vm.State == VmRunState.Running)
            _vm.Pause();
        var stop = new Stopped(incoming, Now);
        _log.Info("Migration {0}: source VM stopped with {1} bytes pending", _id, pending);
        if (!_capabilities.PauseBeforeSwitchover)
        {
            EnterStopCopy(stop);
            return;
        }
        _view.Status = MigrationStatus.PreSwitchover;
        Timers.StartSingleTimer(PreSwitchoverTimedOut.Instance, PreSwitchoverTimedOut.Instance, _settings.PreSwitchoverTimeout);
        Become(() => PreSwitchover(stop));
    }

    // ---- messages several phases take --------------------------------------------------------------

    /// <summary>Switchover-ack reports, while the switchover has not started.</summary>
    private void AckWait(IActorRef? incoming)
    {
        Receive<SwitchoverProtocol.AckDeadlinePassed>(passed =>
        {
            var asked = passed.DestinationSays is { } says ? $" ({says})" : "";
            Fail(passed.CountKnown
                ? $"switchover-ack-timeout ({_parameters.SwitchoverAckTimeout} ms) expired; still waiting for an ack from: {string.Join(", ", passed.Pending)}{asked}"
                : $"switchover-ack-timeout ({_parameters.SwitchoverAckTimeout} ms) expired; the destination never counted its acks (is switchover-ack on at the destination?){asked}",
                incoming);
        });
    }

    /// <summary>Valid until the migration ends: query-migrate, live parameters, the ledger's pulse and the ack count.</summary>
    private void Always()
    {
        Receive<Query>(_ => Sender.Tell(Info()));
        Receive<Continue>(_ => Sender.Tell(CommandResult.Fail(QemuErrors.NotInExpectedState(_view.Status.Name()))));
        Receive<OwnershipProtocol.OwnerOf>(owner => owner.Vm == _vm.Name, _ => _ledgerPulse.Answered(Now));
        Receive<SwitchoverProtocol.AcksChanged>(acks => _acks = acks);
        Receive<PrecopyProtocol.ChunkLoaded>(ForwardCredit);
        Receive<Multifd.MultifdLocal.Broken>(_ => { }); // after the streams drained, a channel closing is the end of its work
        Receive<ParametersChanged>(changed => ApplyParameters(changed.Parameters));
        Receive<PauseGuest>(_ => { }); // nothing left to converge outside precopy
        Receive<Tick>(_ => { });
        Receive<Terminated>(_ => { });
        Receive<DisassociatedEvent>(_ => { });
        Receive<SwitchoverProtocol.AckDeadlinePassed>(_ => { });
    }

    /// <summary>QEMU's migrate-set-parameters on a running migration: each value takes effect at the next tick.</summary>
    private void ApplyParameters(MigrationParameters parameters)
    {
        _parameters = parameters;
        _limiter.BytesPerSecond = _view.Status == MigrationStatus.Device ? 0 : parameters.MaxBandwidth;
        if (_loop.Capped(parameters) is { } capped && _vm.ThrottlePercent > capped)
        {
            _vm.ThrottlePercent = capped;
            _log.Info("Migration {0}: max-cpu-throttle lowered; the guest is throttled to {1}%", _id, capped);
        }
    }

    private MigrationInfo Info() => _view.Project(Now, _counters, _loop.Rate, _acks);
}
