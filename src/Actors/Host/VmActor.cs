using static Orchestrator.Actors.Host.HostProtocol;

namespace Orchestrator.Actors.Host;

/// <summary>One VM here: instance, migration settings, the migration out; it alone decides delete or migrate, so those checks cannot race.</summary>
internal sealed class VmActor : ReceiveActor, IWithTimers
{
    /// <summary>Time to report a fleet migration's progress to the fleet coordinator.</summary>
    private sealed record ReportTick { public static readonly ReportTick Instance = new(); }

    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly VirtualMachine _vm;
    private readonly MigrationSettings _settings;
    private readonly HostIdentity _identity;
    private readonly IActorRef _host;
    private MigrationCapabilities _capabilities = new();
    private MigrationParameters _parameters = new();
    private MigrationParameters? _migrationParameters;
    private IActorRef? _migration;
    private IActorRef? _retiring;
    private readonly List<(object Command, IActorRef ReplyTo)> _afterRetiring = [];
    private MigrationInfo? _finished;
    private readonly long _epoch;
    private bool _handedOver;
    private bool _ownershipUnknown;
    private IActorRef? _ledger;
    private IActorRef? _fleet;

    /// <summary>The fleet coordinator's proxy while a migration the fleet started runs: it hears progress and the end.</summary>
    private IActorRef? _reportTo;

    public VmActor(VirtualMachine vm, MigrationSettings settings, HostIdentity identity, IActorRef host, long epoch, IActorRef? ledger, IActorRef? fleet)
    {
        _vm = vm;
        _settings = settings;
        _identity = identity;
        _host = host;
        _epoch = epoch;
        _ledger = ledger;
        _fleet = fleet;
        Receive<HostLocal.FenceWith>(fence => _ledger = fence.Ledger);
        Receive<HostLocal.ReportTo>(report => _fleet = report.Fleet);
        Receive<ReportTick>(_ => _migration?.Tell(MigrationProtocol.Query.Instance, Self));
        Receive<MigrationInfo>(info => _reportTo?.Tell(new Fleet.FleetProtocol.MigrationReport(_vm.Name, info)));
        Receive<SetCapabilities>(SetVmCapabilities);
        Receive<SetParameters>(SetVmParameters);
        Receive<GetMigrationSettings>(_ => Sender.Tell(new MigrationSettingsOf(_capabilities, _parameters)));
        Receive<Migrate>(StartMigration);
        Receive<QueryMigrate>(_ =>
        {
            if (_migration is not null)
                _migration.Forward(MigrationProtocol.Query.Instance);
            else
                Sender.Tell(LastMigration);
        });
        Receive<MigrateCancel>(cancel =>
        {
            // QEMU: migrate_cancel without a migration, or after it ended, changes nothing.
            _migration?.Tell(cancel.Reason is { } reason ? new MigrationProtocol.Cancel(reason) : MigrationProtocol.Cancel.Instance);
            Sender.Tell(CommandResult.Ok);
        });
        Receive<MigrateContinue>(_ =>
        {
            if (_migration is not null)
                _migration.Forward(MigrationProtocol.Continue.Instance);
            else
                Sender.Tell(NotMigrating);
        });
        Receive<GetDigests>(_ => Sender.Tell(new VmDigests(_vm.Digests())));
        Receive<PauseGuest>(_ =>
        {
            _migration?.Tell(MigrationProtocol.PauseGuest.Instance);
            Sender.Tell(_migration is null ? NotMigrating : CommandResult.Ok);
        });
        Receive<DeleteVm>(delete =>
        {
            if (RefusedOrDeferredByMigration(delete))
                return;
            _vm.Stop();
            Sender.Tell(CommandResult.Ok);
            _log.Info("VM {0} deleted", _vm.Name);
            Leave();
        });
        Receive<HostLocal.CancelOutgoing>(_ => _migration?.Tell(new MigrationProtocol.Cancel($"migration cancelled: host {_identity.Name} is stopping, the VM stays on it")));
        Receive<ResumeVm>(Resume);
        Receive<Resolved>(OnResolved);
        Receive<MigrationProtocol.Ended>(Ended);
        Receive<Terminated>(t =>
        {
            if (t.ActorRef.Equals(_retiring))
            {
                // The ended migration has answered everything queued for it; only now may this actor go.
                _retiring = null;
                if (_handedOver)
                {
                    _log.Info("VM {0} left this host (migration {1} {2})", _vm.Name, _finished!.Id, _finished.Status.Name());
                    Leave();
                }
                foreach (var (command, replyTo) in _afterRetiring)
                    Self.Tell(command, replyTo);
                _afterRetiring.Clear();
                return;
            }
            if (!t.ActorRef.Equals(_migration))
                return;
            // Crashed before its end: a commit may have gone out, so the VM stays as it is (paused if stopped for switchover).
            _log.Error("Migration actor of {0} stopped without ending; the VM is left {1}", _vm.Name, _vm.State);
            _migration = null;
            _host.Tell(new HostLocal.MigrationRunning(_vm.Name, false));
        });
    }

    public static Props Props(VirtualMachine vm, MigrationSettings settings, HostIdentity identity, IActorRef host, long epoch = 0, IActorRef? ledger = null, IActorRef? fleet = null) =>
        Akka.Actor.Props.Create(() => new VmActor(vm, settings, identity, host, epoch, ledger, fleet));

    public ITimerScheduler Timers { get; set; } = null!;

    // A crashed migration must not be restarted with half its state.
    protected override SupervisorStrategy SupervisorStrategy() => new OneForOneStrategy(_ => Directive.Stop);

    protected override void PostStop() => _vm.Dispose();

    private Address SelfAddress => ((ExtendedActorSystem)Context.System).Provider.DefaultAddress;

    /// <summary>query-migrate without a running migration: the last one, or none yet.</summary>
    private object LastMigration => _finished is null ? NoMigration.Instance : _finished;

    /// <summary>QEMU's answer to a command that needs a running migration.</summary>
    private CommandResult NotMigrating => CommandResult.Conflict(QemuErrors.NotInExpectedState(_finished?.Status.Name() ?? "none"));

    private void SetVmCapabilities(SetCapabilities set)
    {
        if (_migration is not null)
            Sender.Tell(CommandResult.Conflict(QemuErrors.InProgress));
        else if (MigrationSettingsChange.Apply(_capabilities, set.Changes, out var caps) is { } error)
            Sender.Tell(error);
        else
        {
            _capabilities = caps;
            Sender.Tell(CommandResult.Ok);
        }
    }

    /// <summary>QEMU's migrate-set-parameters, all or nothing on both the VM's standing parameters and the running migration's (which may differ).</summary>
    private void SetVmParameters(SetParameters set)
    {
        if (MigrationSettingsChange.Apply(_parameters, set.Changes, out var parameters) is { } error)
        {
            Sender.Tell(error);
            return;
        }
        if (_migration is not null && _migrationParameters is { } running)
        {
            if (MigrationSettingsChange.Apply(running, set.Changes, out var changed) is { } runningError)
            {
                Sender.Tell(runningError);
                return;
            }
            _migrationParameters = changed;
            _migration.Tell(new MigrationProtocol.ParametersChanged(changed));
        }
        _parameters = parameters;
        Sender.Tell(new MigrationSettingsOf(_capabilities, parameters));
    }

    private void StartMigration(Migrate migrate)
    {
        if (RefusedOrDeferredByMigration(migrate))
            return;
        if (migrate.Destination.Equals(SelfAddress))
        {
            Sender.Tell(CommandResult.Conflict($"VM '{_vm.Name}' already runs on host {_identity.Name}: pick another destination host"));
            return;
        }
        var capabilities = migrate.Capabilities ?? _capabilities;
        if (capabilities.Check() is { } capsError)
        {
            Sender.Tell(CommandResult.Fail(capsError));
            return;
        }
        if (MigrationSettingsChange.Apply(_parameters, migrate.Parameters ?? [], out var parameters) is { } paramsError)
        {
            Sender.Tell(paramsError);
            return;
        }
        // What the migrate carries is for this migration only; the VM's standing settings stay as they are.
        _migrationParameters = parameters;
        var id = migrate.Id ?? MigrationId.New();
        _migration = Context.ActorOf(
            SourceMigration.Props(id, _vm, migrate.Destination, capabilities, parameters, _settings, Self, new Fencing.Fence(_ledger, _epoch, SelfAddress)),
            $"migration-{id}");
        Context.Watch(_migration);
        _finished = null;
        _host.Tell(new HostLocal.MigrationRunning(_vm.Name, true));
        Sender.Tell(new MigrationStarted(id, _identity.Name));
        // A migration the fleet started: the fleet hears its progress and its end without asking.
        _reportTo = migrate.Id is not null ? _fleet : null;
        if (_reportTo is not null)
            Timers.StartPeriodicTimer(ReportTick.Instance, ReportTick.Instance, Fleet.FleetProtocol.ReportInterval);
    }

    private void Ended(MigrationProtocol.Ended ended)
    {
        _finished = ended.Final;
        if (Sender.Equals(_migration) && _reportTo is not null)
        {
            // The end frees the migration's permit at once: no poll waits for it.
            Timers.Cancel(ReportTick.Instance);
            _reportTo.Tell(new Fleet.FleetProtocol.MigrationReport(_vm.Name, ended.Final));
            _reportTo = null;
        }
        _handedOver = ended.HandedOver || ended.Final.Status == MigrationStatus.Completed;
        _ownershipUnknown = ended.OwnershipUnknown;
        if (!Sender.Equals(_migration))
            return;
        // Queries from now on are answered here; those already forwarded are answered by it before the PoisonPill, then Terminated.
        _retiring = Sender;
        _migration = null;
        Sender.Tell(PoisonPill.Instance);
        _host.Tell(new HostLocal.MigrationRunning(_vm.Name, false));
    }

    /// <summary>
    /// True when a command that cannot run beside a migration was refused (QEMU's text) or set aside: once the migration has ended but its
    /// actor still answers its last queries, the command waits the message or two until it goes instead of being refused.
    /// </summary>
    private bool RefusedOrDeferredByMigration(object command)
    {
        if (_migration is not null)
        {
            Sender.Tell(CommandResult.Conflict(QemuErrors.InProgress));
            return true;
        }
        if (_retiring is null)
            return false;
        _afterRetiring.Add((command, Sender));
        return true;
    }

    // ---- resuming a VM left paused ----------------------------------------------------------

    private sealed record Resolved(object? Answer, IActorRef ReplyTo);

    private void Resume(ResumeVm resume)
    {
        if (RefusedOrDeferredByMigration(resume))
            return;
        if (_vm.State == VmRunState.Running)
        {
            Sender.Tell(CommandResult.Ok); // QEMU's cont on a running VM changes nothing
            return;
        }
        if (_vm.State != VmRunState.Paused)
        {
            Sender.Tell(CommandResult.Conflict($"VM '{_vm.Name}' is {_vm.State.ToString().ToLowerInvariant()}: only a paused VM resumes"));
            return;
        }
        if (!_ownershipUnknown)
        {
            ResumeNow();
            return;
        }
        if (_ledger is null || _finished is null)
        {
            Sender.Tell(CommandResult.Conflict(
                $"VM '{_vm.Name}' stays paused: its last migration sent a commit and there is no ownership ledger to ask whether the destination runs it; resuming could run two copies"));
            return;
        }
        // Only the ledger can say: a fenced migration can never start on its destination, a committed one already owns the VM.
        var replyTo = Sender;
        _ledger.Ask<object>(new Fencing.OwnershipProtocol.Resolve(_vm.Name, _finished.Id), _settings.OwnershipTimeouts.Ask)
            .ContinueWith(t => new Resolved(t.IsCompletedSuccessfully ? t.Result : null, replyTo), TaskScheduler.Default)
            .PipeTo(Self);
    }

    private void OnResolved(Resolved resolved)
    {
        switch (resolved.Answer)
        {
            case Fencing.OwnershipProtocol.Fenced when _vm.State == VmRunState.Paused && _migration is null:
                _ownershipUnknown = false;
                ResumeNow(resolved.ReplyTo);
                break;
            case Fencing.OwnershipProtocol.Committed committed:
                // The destination owns the VM at a newer epoch: this copy is stale and must never run.
                resolved.ReplyTo.Tell(CommandResult.Conflict(
                    $"VM '{_vm.Name}' belongs to its destination at epoch {committed.Epoch} (the ledger recorded the commit); this paused copy is stale and is removed"));
                _vm.Stop();
                _handedOver = true;
                Leave();
                break;
            case null:
                resolved.ReplyTo.Tell(CommandResult.Conflict(
                    $"The ownership ledger did not answer within {_settings.OwnershipTimeouts.Ask.TotalSeconds:0} s; VM '{_vm.Name}' stays paused (try again)"));
                break;
            default:
                resolved.ReplyTo.Tell(CommandResult.Conflict($"VM '{_vm.Name}' stays paused: the ledger answered {resolved.Answer.GetType().Name}"));
                break;
        }
    }

    private void ResumeNow(IActorRef? replyTo = null)
    {
        _vm.Resume();
        _log.Info("VM {0} resumed", _vm.Name);
        (replyTo ?? Sender).Tell(CommandResult.Ok);
    }

    /// <summary>The host stops this actor once it has forgotten the VM; until then, answer as a VM that is gone.</summary>
    private void Leave()
    {
        _host.Tell(new HostLocal.VmGone(_vm.Name, _finished));
        Become(() =>
        {
            Receive<QueryMigrate>(_ => Sender.Tell(LastMigration));
            Receive<MigrateCancel>(_ => Sender.Tell(CommandResult.Ok));
            ReceiveAny(_ => Sender.Tell(CommandResult.NotFound($"VM '{_vm.Name}' not found on host {_identity.Name}")));
        });
    }
}
