using System.Diagnostics;
using Akka.Actor;
using Akka.Event;
using Akka.Remote;
using Orchestrator.Actors.Fencing;
using Orchestrator.Actors.Incoming;
using Orchestrator.Actors.Precopy;
using Orchestrator.Actors.Switchover;
using Orchestrator.Devices.Contract;
using Orchestrator.Devices.Machine;
using static Orchestrator.Actors.Migration.MigrationProtocol;

namespace Orchestrator.Actors.Migration;

/// <summary>
/// The source of one migration, running QEMU's precopy loop: setup, iterate, switch over when the
/// pending bytes fit in the downtime limit and every ack is in, stop-copy, commit. Any failure before
/// commit resumes the source VM; after commit the source never resumes on its own.
/// </summary>
internal sealed class SourceMigration : ReceiveActor, IWithTimers
{
    private sealed record TickMessage
    {
        public static readonly TickMessage Instance = new();
    }

    private sealed record Timeout(string What);

    private static readonly TimeSpan PeerStoppedGrace = TimeSpan.FromSeconds(1);

    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly MigrationId _id;
    private readonly VirtualMachine _vm;
    private readonly Address _destination;
    private readonly MigrationCapabilities _capabilities;
    private readonly MigrationSettings _settings;
    private readonly IActorRef _host;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly DateTimeOffset _startedAt = DateTimeOffset.UtcNow;
    private readonly Dictionary<DeviceName, StreamCounters> _counters = [];
    private readonly Dictionary<DeviceName, IActorRef> _streamers = [];
    private readonly Dictionary<DeviceName, (string State, long? At)> _acks = [];
    private readonly HashSet<DeviceName> _drained = [];
    private readonly Dictionary<DeviceName, (DeviceDigest Source, DeviceDigest? Destination)> _digests = [];
    private readonly AutoConverge _autoConverge = new();
    private readonly BandwidthLimiter _limiter;
    private readonly DigestWarmer _warmer;
    private readonly bool _wasRunning;
    private MigrationParameters _parameters;
    private IActorRef _coordinator = ActorRefs.Nobody;
    private IActorRef? _incoming;
    private MigrationStatus _status = MigrationStatus.Setup;
    private bool _waitingForAcks;
    private bool _waitingForLedger;
    private readonly LedgerPulse _ledgerPulse;
    private string? _errorDesc;
    private string? _peerStopped;
    private long _setupTime;
    private long? _downtime;
    private long _expectedDowntime;
    private long _stoppedAt;
    private long? _endedAt;
    private string _destinationVm = VmStates.Absent;
    private bool _switchoverAllowed;
    private int _pendingAcks = -1;
    private bool _readyToStart;
    private bool _committed;
    private readonly Fence _fence;
    private bool _commitRequested;
    private long _newEpoch;
    private bool _handedOver;
    private bool _ownershipUnknown;
    private IActorRef? _ledgerQuestion;
    private string? _resolveReason;
    private bool _verified;
    private readonly TransferRate _rate = new(MigrationSettings.Tick * 0.8); // a tick late by a few ms still makes a window
    private long _lastExactAt;
    private long _periodStartAt;
    private long _periodStartBytes;

    public SourceMigration(
        MigrationId id, VirtualMachine vm, Address destination, MigrationCapabilities capabilities,
        MigrationParameters parameters, MigrationSettings settings, IActorRef host, Fence? fence = null)
    {
        _id = id;
        _fence = fence ?? new Fence(null, 0, Address.AllSystems);
        _vm = vm;
        _destination = destination;
        _capabilities = capabilities;
        _parameters = parameters;
        _settings = settings;
        _host = host;
        _wasRunning = vm.State == VmRunState.Running;
        _limiter = new BandwidthLimiter(parameters.MaxBandwidth);
        _warmer = new DigestWarmer(vm);
        _expectedDowntime = parameters.DowntimeLimit; // QEMU's initial estimate
        _ledgerPulse = LedgerPulse.For(settings.OwnershipTimeouts);
        Setup();
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(
        MigrationId id, VirtualMachine vm, Address destination, MigrationCapabilities capabilities,
        MigrationParameters parameters, MigrationSettings settings, IActorRef host, Fence? fence = null) =>
        Akka.Actor.Props.Create(() => new SourceMigration(id, vm, destination, capabilities, parameters, settings, host, fence));

    private long Now => _clock.ElapsedMilliseconds;

    protected override void PreStart()
    {
        _coordinator = Context.ActorOf(SwitchoverCoordinator.Props(_id, Self, _clock), "switchover");
        foreach (var device in _vm.Devices)
        {
            _counters[device.Name] = new StreamCounters();
            _acks[device.Name] = ("not-needed", null);
        }
        Context.System.EventStream.Subscribe(Self, typeof(DisassociatedEvent));
        var host = Context.System.ActorSelection(new RootActorPath(_destination) / "user" / Host.VmHost.Name);
        host.Tell(new IncomingProtocol.Prepare(_id, _vm.Spec, Self, _coordinator, _capabilities.SwitchoverAck));
        ProbeLedger(Now);
        Timers.StartSingleTimer("setup", new Timeout("setup"), _settings.SetupTimeout);
        _log.Info("Migration {0} of {1} to {2}: setup", _id, _vm.Name, _destination);
        Reached(MigrationPhase.Setup);
    }

    private void Reached(MigrationPhase phase) =>
        Context.System.EventStream.Publish(new MigrationPhaseReached(_id, _vm.Name, phase, _destination));

    protected override void PostStop() => Context.System.EventStream.Unsubscribe(Self);

    // ---- states -------------------------------------------------------------------------------

    private void Setup()
    {
        Receive<IncomingProtocol.Prepared>(prepared => prepared.Migration == _id, prepared =>
        {
            Timers.Cancel("setup");
            _incoming = prepared.Incoming;
            Context.Watch(_incoming);
            _coordinator.Tell(new SwitchoverProtocol.DestinationPrepared(_incoming));
            _destinationVm = VmStates.Paused;
            var loaders = prepared.Loaders.ToDictionary(l => l.Device, l => l.Ref);
            var missing = _vm.Devices.Where(d => !loaders.ContainsKey(d.Name)).Select(d => d.Name.Value).ToArray();
            if (missing.Length > 0)
            {
                Fail($"the destination prepared no loader for {string.Join(", ", missing)}");
                return;
            }
            foreach (var device in _vm.Devices)
                device.SaveSetup(new SaveContext(_capabilities.SwitchoverAck));
            _warmer.Warm(); // so the check inside the downtime is short
            foreach (var device in _vm.Devices)
            {
                var loader = loaders[device.Name];
                Context.Watch(loader);
                _streamers[device.Name] = Context.ActorOf(
                    SourceDeviceStreamer.Props(_id, device, loader, _limiter, _settings.Precopy, _counters[device.Name]),
                    StreamNames.Streamer(device.Name));
            }
            _setupTime = Now;
            _periodStartAt = _lastExactAt = Now;
            _rate.Start(_periodStartAt, TotalTransferred(), RamCounters()?.Transferred ?? 0, _vm.Devices.Sum(d => d.PendingEstimate()));
            _status = MigrationStatus.Active;
            _expectedDowntime = _parameters.DowntimeLimit;
            Timers.StartPeriodicTimer("tick", TickMessage.Instance, MigrationSettings.Tick);
            _log.Info("Migration {0}: active after {1} ms of setup", _id, _setupTime);
            Become(Active);
            Reached(MigrationPhase.Precopy);
        });
        Receive<IncomingProtocol.Refused>(refused => refused.Migration == _id, refused => Fail(refused.Reason));
        Receive<Timeout>(t => t.What == "setup",
            _ => Fail($"the destination host at {_destination} did not answer setup within {_settings.SetupTimeout.TotalSeconds:0} s"));
        Receive<Cancel>(Cancel);
        Receive<Continue>(_ => Sender.Tell(CommandResult.Fail($"Migration not in expected state: {_status.Name()}")));
        Switchover();
        Common();
    }

    private void Active()
    {
        Receive<TickMessage>(_ => Iterate());
        Receive<PauseGuest>(_ =>
        {
            if (_vm.State != VmRunState.Running)
                return;
            _vm.Pause();
            _log.Warning("Migration {0}: guest of {1} paused so the migration converges", _id, _vm.Name);
        });
        Receive<Cancel>(Cancel);
        Receive<Continue>(_ => Sender.Tell(CommandResult.Fail($"Migration not in expected state: {_status.Name()}")));
        Switchover();
        Streams();
        Common();
    }

    private void PreSwitchover()
    {
        Receive<Continue>(_ =>
        {
            Timers.Cancel("pre-switchover");
            Sender.Tell(CommandResult.Ok);
            StopCopy();
        });
        Receive<Timeout>(t => t.What == "pre-switchover",
            _ => Fail($"pre-switchover: no migrate-continue within {_settings.PreSwitchoverTimeout.TotalSeconds:0} s"));
        Receive<Cancel>(Cancel);
        Receive<TickMessage>(_ => { });
        Switchover();
        Streams();
        Common();
    }

    private void DeviceState()
    {
        Receive<PrecopyLocal.StreamDrained>(drained =>
        {
            _log.Info("Migration {0}: {1} drained {2} ms after the stop", _id, drained.Device, Now - _stoppedAt);
            _drained.Add(drained.Device);
            CommitIfReady();
        });
        Receive<IncomingProtocol.ReadyToStart>(ready => ready.Migration == _id, ready =>
        {
            foreach (var theirs in ready.DestinationDigests)
            {
                if (_digests.TryGetValue(theirs.Device, out var pair))
                    _digests[theirs.Device] = (pair.Source, theirs.Digest);
            }
            _log.Info("Migration {0}: destination verified {1} ms after the stop", _id, Now - _stoppedAt);
            _readyToStart = true;
            // Trust the destination's word only where its digests are ours, device by device.
            _verified = _digests.Count == _vm.Devices.Count && _digests.Values.All(d => d.Source == d.Destination);
            if (!_verified)
            {
                Fail("the destination reported ready with digests that differ from the source's");
                return;
            }
            CommitIfReady();
        });
        Receive<IncomingProtocol.Running>(running => running.Migration == _id, _ => Complete());
        Receive<OwnershipProtocol.Committed>(c => c.Migration == _id && _commitRequested && !_committed, c => SendCommit(c.Epoch));
        Receive<OwnershipProtocol.Fenced>(f => f.Migration == _id && !_committed, _ =>
            FenceLost("the ownership ledger fenced this migration before its commit"));
        Receive<OwnershipProtocol.Refused>(r => r.Migration == _id && !_committed, r => StayPaused($"the ownership ledger refused the commit: {r.Reason}"));
        // Commits answered to nobody (lost on the way back) are found by resolving, which a fenced-off commit also ends.
        Receive<LedgerQuestion.Unanswered>(u => u.Migration == _id && !_committed, u =>
            Resolve($"the ownership ledger did not answer the commit ({u.Attempts} asks over {u.Asked.TotalSeconds:0} s)", destinationLost: false));
        Receive<Timeout>(t => t.What == "commit",
            _ => Fail($"the destination did not confirm the start within {_settings.CommitTimeout.TotalSeconds:0} s after commit"));
        Receive<Cancel>(cancel =>
        {
            // Once the ledger is asked to commit, only its decision may end the migration: a rollback now
            // could leave the ledger naming the destination while the source runs.
            if (_commitRequested)
                _log.Warning("Migration {0}: cancel after the commit was requested has no effect", _id);
            else
                Cancel(cancel);
        });
        Receive<Continue>(_ => Sender.Tell(CommandResult.Fail($"Migration not in expected state: {_status.Name()}")));
        Receive<TickMessage>(_ => { });
        Switchover();
        Streams();
        Common();
    }

    private void Ended()
    {
        Receive<Cancel>(_ => { }); // cancel after completed or failed changes nothing
        // A destination that answers after we gave up must not keep a half-loaded twin.
        Receive<IncomingProtocol.Prepared>(late => late.Incoming.Tell(new IncomingProtocol.Abort(_id, "the source gave up before the destination was ready")));
        Receive<Continue>(_ => Sender.Tell(CommandResult.Fail($"Migration not in expected state: {_status.Name()}")));
        Receive<Query>(_ => Sender.Tell(Info()));
        ReceiveAny(_ => { });
    }

    /// <summary>Switchover-ack messages, valid in every live state.</summary>
    private void Switchover()
    {
        Receive<SwitchoverProtocol.AcksExpected>(expected =>
        {
            _pendingAcks = expected.Devices.Count;
            foreach (var device in expected.Devices)
            {
                if (_acks.ContainsKey(device))
                    _acks[device] = ("pending", null);
            }
        });
        Receive<SwitchoverProtocol.AckRecorded>(ack =>
        {
            _pendingAcks = ack.Pending;
            if (_acks.ContainsKey(ack.Device))
                _acks[ack.Device] = ("acked", (long)ack.At.TotalMilliseconds);
        });
        Receive<SwitchoverProtocol.SwitchoverAllowed>(_ =>
        {
            _pendingAcks = 0;
            _switchoverAllowed = true;
        });
        Receive<SwitchoverProtocol.AckDeadlinePassed>(passed =>
        {
            if (_status is not (MigrationStatus.Active or MigrationStatus.Setup))
                return;
            var asked = passed.DestinationSays is { } says ? $" ({says})" : "";
            Fail(passed.CountKnown
                ? $"switchover-ack-timeout ({_parameters.SwitchoverAckTimeout} ms) expired; still waiting for an ack from: {string.Join(", ", passed.Pending)}{asked}"
                : $"switchover-ack-timeout ({_parameters.SwitchoverAckTimeout} ms) expired; the destination never counted its acks (is switchover-ack on at the destination?){asked}");
        });
    }

    /// <summary>Failures of the data plane, valid while streams run (the destination's own failures are in Common).</summary>
    private void Streams() => Receive<PrecopyLocal.StreamFailed>(failed => Fail(failed.Reason));

    private void Common()
    {
        Receive<Query>(_ => Sender.Tell(Info()));
        Receive<PauseGuest>(_ => { }); // nothing left to converge outside precopy
        Receive<OwnershipProtocol.OwnerOf>(owner => owner.Vm == _vm.Name, _ => _ledgerPulse.Answered(Now));
        Receive<ParametersChanged>(changed =>
        {
            _parameters = changed.Parameters;
            _limiter.BytesPerSecond = _status == MigrationStatus.Device ? 0 : changed.Parameters.MaxBandwidth;
            if (_waitingForAcks)
                _coordinator.Tell(new SwitchoverProtocol.ArmDeadline(TimeSpan.FromMilliseconds(changed.Parameters.SwitchoverAckTimeout)));
            if (_autoConverge.Capped(changed.Parameters) is { } capped && _vm.ThrottlePercent > capped)
            {
                _vm.ThrottlePercent = capped;
                _log.Info("Migration {0}: max-cpu-throttle lowered; the guest is throttled to {1}%", _id, capped);
            }
        });
        // Remote DeathWatch is not ordered with user messages: the destination's Failed (with its
        // reason) or Running may still be on its way. Wait a bounded moment for it.
        Receive<Terminated>(t =>
        {
            _peerStopped ??= t.ActorRef.Equals(_incoming)
                ? $"the destination migration actor {t.ActorRef.Path} stopped"
                : $"destination actor {t.ActorRef.Path.Name} stopped";
            if (!Timers.IsTimerActive("peer-stopped"))
                Timers.StartSingleTimer("peer-stopped", new Timeout("peer-stopped"), PeerStoppedGrace);
        });
        Receive<Timeout>(t => t.What == "peer-stopped", _ => Fail(_peerStopped!));
        Receive<DisassociatedEvent>(e => e.RemoteAddress.Equals(_destination),
            e => Fail($"lost the connection to the destination {_destination}"));
        Receive<DisassociatedEvent>(_ => { });
        Receive<IncomingProtocol.Failed>(failed => failed.Migration == _id, failed => Fail($"destination: {failed.Reason}"));
        Receive<Timeout>(_ => { });
    }

    // ---- the precopy loop ---------------------------------------------------------------------

    /// <summary>QEMU's migration_iteration_run and migration_update_counters, every 100 ms.</summary>
    private void Iterate()
    {
        var now = Now;
        var sent = TotalTransferred();
        var pending = _vm.Devices.Sum(d => d.PendingEstimate());
        _rate.Sample(now, sent, RamCounters()?.Transferred ?? 0, pending);
        var bandwidthPerMs = _rate.ForSwitchover(_parameters);

        var threshold = bandwidthPerMs * _parameters.DowntimeLimit;
        if (pending <= threshold || now - _lastExactAt >= AutoConverge.Period.TotalMilliseconds)
        {
            pending = _vm.Devices.Sum(d => d.PendingExact());
            _lastExactAt = now;
            OnDirtySync(now, sent);
        }
        _expectedDowntime = bandwidthPerMs > 0 ? (long)(pending / bandwidthPerMs) : _parameters.DowntimeLimit;

        ProbeLedger(now);
        if (pending == 0 || pending < threshold)
        {
            if (CanSwitchover())
            {
                if (LedgerAnswers(now))
                {
                    Switchover(pending);
                    return;
                }
                if (_status.IsTerminal())
                    return;
            }
            else if (!_waitingForAcks)
            {
                _waitingForAcks = true;
                _coordinator.Tell(new SwitchoverProtocol.ArmDeadline(TimeSpan.FromMilliseconds(_parameters.SwitchoverAckTimeout)));
                _log.Info("Migration {0}: converged with {1} bytes pending; waiting for switchover acks from: {2}", _id, pending,
                    string.Join(", ", _acks.Where(a => a.Value.State == "pending").Select(a => a.Key.Value).DefaultIfEmpty("(no count from the destination yet)")));
                Reached(MigrationPhase.WaitingForAcks);
            }
        }
        // Hash what the guest wrote since the last tick, so the check at the stop has little left to do.
        _warmer.Warm();
        foreach (var streamer in _streamers.Values)
            streamer.Tell(PrecopyLocal.Pump.Instance);
    }

    /// <summary>QEMU's can_switchover: the capability is off, or every device acked.</summary>
    private bool CanSwitchover() => !_capabilities.SwitchoverAck || _switchoverAllowed;

    private void ProbeLedger(long now)
    {
        if (_fence.Ledger is { } ledger && _ledgerPulse.Probe(now))
            ledger.Tell(new OwnershipProtocol.GetOwner(_vm.Name));
    }

    /// <summary>
    /// The VM stops only while the ownership ledger answers (no ledger: always): the commit must be recorded
    /// before the destination may start, so stopping while the ledger's node fails over would hold the VM
    /// paused for the whole failover. Converged and waiting for it, precopy goes on with the VM running,
    /// for as long as a source would ask the ledger to resolve; then the migration fails and the VM stays.
    /// </summary>
    private bool LedgerAnswers(long now)
    {
        if (_fence.Ledger is null || _ledgerPulse.Fresh(now))
        {
            _waitingForLedger = false;
            return true;
        }
        var bound = _settings.OwnershipTimeouts.Retry * _settings.OwnershipTimeouts.ResolveAttempts;
        if (_ledgerPulse.Silent(now) > bound.TotalMilliseconds)
        {
            Fail($"the ownership ledger has not answered for {bound.TotalSeconds:0} s, so no commit could be recorded; the VM keeps running on the source");
            return false;
        }
        if (!_waitingForLedger)
            _log.Warning("Migration {0}: converged, but the ownership ledger has not answered for {1} ms; the VM keeps running until it does",
                _id, _ledgerPulse.Silent(now));
        _waitingForLedger = true;
        return false;
    }

    private void OnDirtySync(long now, long sent)
    {
        if (now - _periodStartAt < AutoConverge.Period.TotalMilliseconds)
            return;
        var seconds = (now - _periodStartAt) / 1000.0;
        var dirtied = (long)((_vm.Ram?.Statistics.DirtyPagesRate ?? 0) * seconds * 4096);
        var throttle = _capabilities.AutoConverge
            ? _autoConverge.OnPeriod(dirtied, sent - _periodStartBytes, _parameters)
            : null;
        if (throttle is { } percent)
        {
            _vm.ThrottlePercent = percent;
            _log.Info("Migration {0}: auto-converge throttles the guest to {1}%", _id, percent);
        }
        _periodStartAt = now;
        _periodStartBytes = sent;
    }

    private void Switchover(long pending)
    {
        Timers.Cancel("tick");
        if (_vm.State == VmRunState.Running)
            _vm.Pause();
        _stoppedAt = Now;
        _log.Info("Migration {0}: source VM stopped with {1} bytes pending", _id, pending);
        if (_capabilities.PauseBeforeSwitchover)
        {
            _status = MigrationStatus.PreSwitchover;
            Timers.StartSingleTimer("pre-switchover", new Timeout("pre-switchover"), _settings.PreSwitchoverTimeout);
            Become(PreSwitchover);
            return;
        }
        StopCopy();
    }

    private void StopCopy()
    {
        _status = MigrationStatus.Device;
        _limiter.BytesPerSecond = 0;
        var digests = _vm.Digests().Select(kv => new IncomingProtocol.DigestOf(kv.Key, kv.Value)).ToArray();
        foreach (var digest in digests)
            _digests[digest.Device] = (digest.Digest, null);
        _log.Info("Migration {0}: stop-copy, source digests taken {1} ms after the stop", _id, Now - _stoppedAt);
        // Published before the destination hears of it: a fault placed at stop-copy lands while the
        // destination still cannot become ready, which is what the phase means.
        Reached(MigrationPhase.StopCopy);
        _incoming!.Tell(new IncomingProtocol.StopCopyStarted(_id, digests));
        foreach (var streamer in _streamers.Values)
            streamer.Tell(PrecopyLocal.EnterStopCopy.Instance);
        Become(DeviceState);
    }

    private void CommitIfReady()
    {
        if (_committed || _commitRequested || !_readyToStart || _drained.Count < _streamers.Count)
            return;
        if (_fence.Ledger is null)
        {
            SendCommit(_fence.Epoch + 1);
            return;
        }
        // Fencing: the ledger records the new epoch first; only then may the destination start. Asked
        // until it answers: the ledger's node may be failing over, and the destination waits ready.
        _commitRequested = true;
        var commit = new OwnershipProtocol.Commit(_vm.Name, _id, _fence.Node.ToString(), _destination.ToString(), _fence.Epoch + 1);
        _ledgerQuestion = Context.ActorOf(LedgerQuestion.Props(_fence.Ledger, commit, _settings.OwnershipTimeouts.Retry, _settings.OwnershipTimeouts.ResolveAttempts));
    }

    private void SendCommit(long epoch)
    {
        _committed = true;
        _newEpoch = epoch;
        // Recorded: the destination starts on this word alone, so a ledger failing over now delays nothing.
        _incoming!.Tell(new IncomingProtocol.Commit(_id, epoch, Recorded: _fence.Ledger is not null));
        Timers.StartSingleTimer("commit", new Timeout("commit"), _settings.CommitTimeout);
        Reached(MigrationPhase.AfterCommit);
    }

    // ---- endings ------------------------------------------------------------------------------

    private void Complete()
    {
        Timers.CancelAll();
        _downtime = Now - _stoppedAt;
        _destinationVm = VmStates.Running;
        _vm.Stop(); // QEMU's postmigrate: this copy never runs again
        CleanupSource();
        End(MigrationStatus.Completed);
        _log.Info("Migration {0} of {1} completed: downtime {2} ms, total {3} ms", _id, _vm.Name, _downtime, Now);
    }

    private void Cancel(Cancel cancel)
    {
        _errorDesc = cancel.Reason;
        RollBack("cancelled by the source");
        End(MigrationStatus.Cancelled);
    }

    private void Fail(string reason)
    {
        if (_status.IsTerminal())
            return;
        if (_committed && _fence.Ledger is not null)
        {
            // The ledger moved ownership: this copy is the old epoch and is discarded, whatever became of the destination.
            _errorDesc = $"{reason}; ownership moved to {_destination} at epoch {_newEpoch} (recorded), so the source copy is stopped";
            _handedOver = true;
            _vm.Stop();
            Timers.CancelAll();
            StopChildren();
            End(MigrationStatus.Failed);
            return;
        }
        if (_commitRequested && !_committed)
        {
            Resolve(reason, destinationLost: true);
            return;
        }
        if (_committed)
        {
            // The destination may have started: resuming here could run two copies.
            _errorDesc = $"{reason}; the commit was sent, so the source VM stays paused until the destination's state is known";
            _ownershipUnknown = true;
            Timers.CancelAll();
            StopChildren();
            End(MigrationStatus.Failed);
            return;
        }
        _errorDesc = reason;
        RollBack(reason);
        End(MigrationStatus.Failed);
    }

    // ---- fencing ------------------------------------------------------------------------------

    /// <summary>The commit's fate is unknown: ask the ledger, which commits nothing new and fences an unrecorded epoch.</summary>
    private void Resolve(string reason, bool destinationLost)
    {
        _resolveReason ??= reason;
        if (destinationLost)
            _peerStopped ??= reason;
        Timers.Cancel("commit");
        Timers.Cancel("peer-stopped");
        _log.Warning("Migration {0} of {1}: {2}; asking the ownership ledger before the source may resume", _id, _vm.Name, reason);
        if (_ledgerQuestion is not null)
            Context.Stop(_ledgerQuestion); // a commit asked and a resolve asked get one consistent decision in either order
        _ledgerQuestion = Context.ActorOf(LedgerQuestion.Props(_fence.Ledger!, new OwnershipProtocol.Resolve(_vm.Name, _id),
            _settings.OwnershipTimeouts.Retry, _settings.OwnershipTimeouts.ResolveAttempts));
        Become(Resolving);
    }

    private void Resolving()
    {
        Receive<OwnershipProtocol.Committed>(c => c.Migration == _id, c =>
        {
            if (_peerStopped is null && _incoming is not null)
            {
                // Recorded after all, and the destination is still there: finish the switchover.
                _log.Info("Migration {0}: the ledger had recorded the commit; committing the destination", _id);
                SendCommit(c.Epoch);
                Become(DeviceState);
                return;
            }
            _committed = true;
            _newEpoch = c.Epoch;
            Fail(_resolveReason!);
        });
        Receive<OwnershipProtocol.Fenced>(f => f.Migration == _id, _ => FenceLost(_resolveReason!));
        Receive<LedgerQuestion.Unanswered>(u => u.Migration == _id, u =>
            StayPaused($"{_resolveReason}; the ownership ledger could not be reached for {u.Asked.TotalSeconds:0} s"));
        Receive<Terminated>(t =>
        {
            if (t.ActorRef.Equals(_incoming))
                _peerStopped ??= $"the destination migration actor {t.ActorRef.Path} stopped";
        });
        Receive<DisassociatedEvent>(e => e.RemoteAddress.Equals(_destination), _ => _peerStopped ??= $"lost the connection to the destination {_destination}");
        Receive<Cancel>(_ => _log.Warning("Migration {0}: cancel while the ledger decides ownership has no effect", _id));
        Receive<Query>(_ => Sender.Tell(Info()));
        ReceiveAny(_ => { });
    }

    /// <summary>The ledger fenced this migration's epoch: its destination can never start, so the source resumes.</summary>
    private void FenceLost(string reason)
    {
        _errorDesc = $"{reason}; the ownership ledger fenced epoch {_fence.Epoch + 1}, the source VM resumes";
        RollBack(_errorDesc);
        End(MigrationStatus.Failed);
    }

    /// <summary>Ownership cannot be decided now: pausing is safe, resuming might run two copies.</summary>
    private void StayPaused(string reason)
    {
        _errorDesc = $"{reason}; the source VM stays paused rather than risk two running copies (orchestrator vm resume asks the ledger again)";
        _ownershipUnknown = true;
        _log.Error("Migration {0} of {1}: {2}", _id, _vm.Name, _errorDesc);
        Timers.CancelAll();
        StopChildren();
        End(MigrationStatus.Failed);
    }

    private void RollBack(string reason)
    {
        Timers.CancelAll();
        _incoming?.Tell(new IncomingProtocol.Abort(_id, reason));
        _destinationVm = VmStates.Absent;
        CleanupSource();
        if (_wasRunning && _vm.State == VmRunState.Paused)
            _vm.Resume();
        _log.Warning("Migration {0} of {1} rolled back: {2}; source VM {3}", _id, _vm.Name, reason,
            _vm.State == VmRunState.Running ? "running" : _vm.State.ToString().ToLowerInvariant());
    }

    private void CleanupSource()
    {
        StopChildren();
        _vm.ThrottlePercent = 0;
        foreach (var device in _vm.Devices)
            device.SaveCleanup();
    }

    private void StopChildren()
    {
        foreach (var streamer in _streamers.Values)
            Context.Stop(streamer);
        Context.Stop(_coordinator);
        if (_ledgerQuestion is not null)
            Context.Stop(_ledgerQuestion);
        if (_incoming is not null)
            Context.Unwatch(_incoming);
    }

    private void End(MigrationStatus status)
    {
        _status = status;
        _endedAt = Now;
        _host.Tell(new Ended(_id, _vm.Name, Info(), _handedOver, _ownershipUnknown));
        Become(Ended);
    }

    // ---- query-migrate ------------------------------------------------------------------------

    private StreamCounters? RamCounters() =>
        _vm.Ram is { } ram && _counters.TryGetValue(ram.Name, out var c) ? c : null;

    private long TotalTransferred() => _counters.Values.Sum(c => c.Transferred);

    private MigrationInfo Info()
    {
        var live = !_status.IsTerminal();
        var ramStats = _vm.Ram?.Statistics;
        var ramCounters = RamCounters();
        var ram = new RamInfo(
            Transferred: ramCounters?.Transferred ?? 0,
            Remaining: live && _status != MigrationStatus.Setup ? ramStats?.Remaining ?? 0 : 0,
            Total: ramStats?.Total ?? 0,
            Duplicate: ramStats?.Duplicate ?? 0,
            Normal: ramStats?.Normal ?? 0,
            NormalBytes: ramStats?.NormalBytes ?? 0,
            DirtyPagesRate: (long)(ramStats?.DirtyPagesRate ?? 0),
            Mbps: Math.Round(_rate.Mbps, 3),
            DirtySyncCount: ramStats?.DirtySyncCount ?? 0,
            PageSize: ramStats?.PageSize ?? 4096,
            PagesPerSecond: _rate.PagesPerSecond,
            PrecopyBytes: ramCounters?.PrecopyBytes ?? 0,
            DowntimeBytes: ramCounters?.DowntimeBytes ?? 0);
        var devices = _vm.Devices.Select(d => new DeviceInfo(
            d.Name.Value,
            d.Kind.Name(),
            _counters[d.Name].Transferred,
            live && _status != MigrationStatus.Setup ? d.PendingEstimate() : 0,
            _acks[d.Name].State,
            _acks[d.Name].At,
            _settings.Precopy.Window,
            _counters[d.Name].MaxInFlight,
            _digests.TryGetValue(d.Name, out var digest) ? digest.Source.Hex : null,
            digest.Destination?.Hex)).ToArray();
        return new MigrationInfo(
            _id,
            _startedAt,
            _status,
            TotalTime: _endedAt ?? Now,
            SetupTime: _setupTime,
            Downtime: _status == MigrationStatus.Completed ? _downtime : null,
            // QEMU drops it after the switchover; we keep the last estimate so it can be set against the measured downtime.
            ExpectedDowntime: _expectedDowntime,
            ErrorDesc: _errorDesc,
            CpuThrottlePercentage: _vm.ThrottlePercent,
            Ram: ram,
            Devices: devices,
            SourceVm: _vm.State switch
            {
                VmRunState.Running => VmStates.Running,
                VmRunState.Paused => VmStates.Paused,
                _ => VmStates.Stopped,
            },
            DestinationVm: _destinationVm,
            Verified: _verified,
            PendingAcks: _pendingAcks,
            Transferred: TotalTransferred(),
            Remaining: devices.Sum(d => d.Remaining),
            Mbps: Math.Round(_rate.Mbps, 3));
    }
}
