using Orchestrator.Devices.Ram;
using static Orchestrator.Actors.Host.HostProtocol;

namespace Orchestrator.Actors.Host;

/// <summary>
/// One per node: supervises a <see cref="VmActor"/> per VM, routes commands to them and accounts for what this host holds.
/// Capacity is held from an incoming migration's prepare, so two migrations never count on the same free memory.
/// </summary>
internal sealed class VmHost : ReceiveActor, IWithTimers
{
    public const string Name = HostProtocol.Name;

    /// <summary>Guards against a peer asking for absurd twins.</summary>
    private const long MaxDeviceBytes = 1L << 40;

    /// <summary>The VM's actor, and the instance itself for read-only use: name, shape and run state.</summary>
    private sealed record VmEntry(IActorRef Actor, VirtualMachine Vm, long Epoch);

    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly MigrationSettings _settings;
    private readonly HostIdentity _identity;
    private readonly Dictionary<string, VmEntry> _vms = [];
    private readonly HashSet<string> _migrating = [];
    private readonly Dictionary<string, (IActorRef Actor, long Bytes)> _incoming = [];
    private readonly Dictionary<string, MigrationInfo> _finished = [];

    // VMs whose memory is being filled off this actor's thread (a big guest takes seconds): their names and bytes are held meanwhile.
    private readonly Dictionary<string, long> _creating = [];
    private readonly CancellationTokenSource _stopping = new();
    private MigrationCapabilities _incomingCapabilities;
    private MigrationParameters _incomingParameters;
    private IActorRef? _stopWaiter;
    private bool _draining;
    private IActorRef? _ledger;
    private IActorRef? _fleet;
    private readonly IncomingLoadDecorator? _decorateLoads;

    public VmHost(
        MigrationSettings settings, HostIdentity identity, MigrationCapabilities? incomingCapabilities, IncomingLoadDecorator? decorateLoads,
        MigrationParameters? incomingParameters)
    {
        _incomingParameters = incomingParameters ?? new MigrationParameters();
        _decorateLoads = decorateLoads;
        _settings = settings;
        _identity = identity;
        _incomingCapabilities = incomingCapabilities ?? new MigrationCapabilities();
        Receive<CreateVm>(Create);
        Receive<VmBuilt>(Built);
        Receive<Workflows.CreationProtocol.Create>(create =>
        {
            if (_ledger is null)
                Sender.Tell(CommandResult.Fail($"VM '{create.Spec.Name}' was not created: this host has no ownership ledger to record it (it is not in a cluster)") with { Kind = ErrorKind.Unavailable });
            else
                Context.ActorOf(Workflows.VmCreation.Props(create, _ledger, Sender));
        });
        Receive<Workflows.LookupProtocol.FindMigration>(find => Context.ActorOf(Workflows.QueryMigrateLookup.Props(find, _fleet, Sender)));
        Receive<ListVms>(_ => Sender.Tell(new VmList(
            _identity.Name,
            _vms.Values.Select(e => Summary(e.Vm) with { Epoch = e.Epoch }).OrderBy(v => v.Name).ToArray(),
            _incoming.Keys.Order().ToArray())));
        Receive<GetStatus>(_ => Sender.Tell(new HostStatus(_identity.Name, _identity.Capacity, Used, _vms.Count, _incomingCapabilities, _draining)));
        Receive<SetDraining>(set =>
        {
            _draining = set.Draining;
            _log.Info("Host {0} {1}", _identity.Name, _draining ? "is draining: no new VM lands here" : "accepts VMs again");
            Sender.Tell(CommandResult.Ok);
        });
        Receive<SetIncomingCapabilities>(set => SetIncoming(set.Capabilities, reply: CommandResult.Ok));
        Receive<ChangeIncomingCapabilities>(ChangeIncoming);
        Receive<ChangeIncomingParameters>(ChangeIncomingParameters);

        // Commands about one VM go to its actor; a VM that left answers from its last record.
        Receive<SetCapabilities>(c => Route(c.Vm, c));
        Receive<SetParameters>(c => Route(c.Vm, c));
        Receive<GetMigrationSettings>(c => Route(c.Vm, c));
        Receive<Migrate>(c => Route(c.Vm, c));
        Receive<GetDigests>(c => Route(c.Vm, c));
        Receive<PauseGuest>(c => Route(c.Vm, c));
        Receive<DeleteVm>(c => Route(c.Vm, c));
        Receive<ResumeVm>(c => Route(c.Vm, c));
        Receive<QueryMigrate>(c => Route(c.Vm, c, () => _finished.TryGetValue(c.Vm, out var info) ? info : null));
        Receive<MigrateCancel>(c => Route(c.Vm, c, () => _finished.ContainsKey(c.Vm) ? CommandResult.Ok : null));
        Receive<MigrateContinue>(c => Route(c.Vm, c, () => _finished.TryGetValue(c.Vm, out var info)
            ? CommandResult.Conflict(QemuErrors.NotInExpectedState(info.Status.Name()))
            : null));

        Receive<HostLocal.MigrationRunning>(running =>
        {
            if (running.Running)
                _migrating.Add(running.Vm);
            else
                _migrating.Remove(running.Vm);
            if (_stopWaiter is not null && _migrating.Count == 0)
                _stopWaiter.Tell(Akka.Done.Instance);
        });
        Receive<HostLocal.VmGone>(gone =>
        {
            if (_vms.Remove(gone.Vm, out var entry))
            {
                Context.Unwatch(entry.Actor);
                entry.Actor.Tell(PoisonPill.Instance); // behind any command already forwarded to it
            }
            _migrating.Remove(gone.Vm);
            if (gone.Final is not null)
                _finished[gone.Vm] = gone.Final;
            else
                _finished.Remove(gone.Vm);
        });
        Receive<IncomingProtocol.Prepare>(Prepare);
        Receive<PrepareLater>(later =>
        {
            if (_preparesLater.Remove(later))
                Prepare(later.Prepare, later.ReplyTo);
        });
        Receive<HostLocal.AdoptVm>(Adopt);
        Receive<HostLocal.FenceWith>(fence =>
        {
            _ledger = fence.Ledger;
            foreach (var entry in _vms.Values)
                entry.Actor.Tell(fence);
        });
        Receive<HostLocal.ReportTo>(report =>
        {
            _fleet = report.Fleet;
            foreach (var entry in _vms.Values)
                entry.Actor.Tell(report);
        });
        Receive<HostLocal.CancelOutgoing>(_ => CancelOutgoing());
        Receive<Terminated>(OnTerminated);
    }

    public ITimerScheduler Timers { get; set; } = null!;

    /// <param name="decorateLoads">Only with fault injection enabled: wraps what incoming migrations load.</param>
    public static Props Props(
        MigrationSettings settings, HostIdentity identity, MigrationCapabilities? incomingCapabilities = null, IncomingLoadDecorator? decorateLoads = null,
        MigrationParameters? incomingParameters = null) =>
        Akka.Actor.Props.Create(() => new VmHost(settings, identity, incomingCapabilities, decorateLoads, incomingParameters));

    // Akka logs few dead letters; a migration message this node drops is always logged (UndeliveredWireLog says why).
    protected override void PreStart() => Context.ActorOf(UndeliveredWireLog.Props(), UndeliveredWireLog.Name);

    // A VM still being built when the host stops is disposed by its builder, not adopted.
    protected override void PostStop() => _stopping.Cancel();

    // A crashed VM or incoming actor must not be restarted with half its state.
    protected override SupervisorStrategy SupervisorStrategy() => new OneForOneStrategy(_ => Directive.Stop);

    private long Used => _vms.Values.Sum(e => Size(e.Vm.Spec)) + _incoming.Values.Sum(i => i.Bytes) + _creating.Values.Sum();

    private static long Size(VmSpec spec) => spec.Devices.Sum(d => d.SizeBytes);

    private void Route(string vm, object command, Func<object?>? departed = null)
    {
        if (_vms.TryGetValue(vm, out var entry))
            entry.Actor.Forward(command);
        else
            Sender.Tell(departed?.Invoke() ?? CommandResult.NotFound($"VM '{vm}' not found on host {_identity.Name}"));
    }

    private static VmSummary Summary(VirtualMachine vm) => new(
        vm.Name,
        VmStates.Of(vm.State),
        vm.Ram?.Spec.SizeBytes ?? 0,
        vm.Devices.Select(d => new DeviceSummary(d.Name.Value, d.Kind.Name(), d.Spec.SizeBytes)).ToArray());

    private void Create(CreateVm create)
    {
        if (create.Epoch < 0)
        {
            Sender.Tell(CommandResult.Fail($"VM '{create.Spec.Name}' cannot be created at a negative epoch ({create.Epoch})"));
            return;
        }
        if (CheckSpec(create.Spec) is { } error)
        {
            Sender.Tell(error);
            return;
        }
        // Filling a guest's memory takes seconds for GiBs: built off this thread, so the host answers everything else meanwhile.
        _creating[create.Spec.Name] = Size(create.Spec);
        var (spec, epoch, replyTo, time, stopping) = (create.Spec, create.Epoch, Sender, _settings.Time, _stopping.Token);
        Task.Run(() =>
        {
            var vm = VirtualMachine.Create(spec, time);
            if (stopping.IsCancellationRequested)
            {
                vm.Dispose();
                return new VmBuilt(spec.Name, null, epoch, replyTo, "its host is stopping");
            }
            vm.Start();
            return new VmBuilt(spec.Name, vm, epoch, replyTo, null);
        }).PipeTo(Self, failure: e => new VmBuilt(spec.Name, null, epoch, replyTo, e.Message));
    }

    /// <summary>A VM built off the actor's thread (<paramref name="Vm"/>), or why not.</summary>
    private sealed record VmBuilt(string Name, VirtualMachine? Vm, long Epoch, IActorRef ReplyTo, string? Error);

    private void Built(VmBuilt built)
    {
        _creating.Remove(built.Name);
        if (built.Vm is not { } vm)
        {
            built.ReplyTo.Tell(CommandResult.Fail($"VM '{built.Name}' was not created: {built.Error}"));
            return;
        }
        Add(vm, built.Epoch);
        _log.Info("VM {0} created and running", vm.Name);
        built.ReplyTo.Tell(CommandResult.Ok);
    }

    private void Add(VirtualMachine vm, long epoch)
    {
        var actor = Context.ActorOf(VmActor.Props(vm, _settings, _identity, Self, epoch, _ledger, _fleet), $"vm-{vm.Name}");
        Context.Watch(actor);
        _vms[vm.Name] = new VmEntry(actor, vm, epoch);
        _finished.Remove(vm.Name);
    }

    private CommandResult? CheckSpec(VmSpec spec)
    {
        if (VmName.Problem(spec.Name) is { } badName)
            return CommandResult.Fail(badName);
        if (_draining)
            return CommandResult.Conflict($"Host {_identity.Name} is draining: nothing new lands there (undrain it to accept VMs again)");
        if (_vms.ContainsKey(spec.Name) || _incoming.ContainsKey(spec.Name) || _creating.ContainsKey(spec.Name))
            return CommandResult.Conflict($"VM '{spec.Name}' already exists on host {_identity.Name}");
        if (spec.Devices.Count == 0 || spec.Devices.Count > 16 || spec.Devices[0].Kind != DeviceKind.Ram)
            return CommandResult.Fail($"VM '{spec.Name}' must have RAM first and 1 to 16 devices in all");
        if (spec.Devices.Select(d => d.Name).Distinct().Count() != spec.Devices.Count)
            return CommandResult.Fail($"VM '{spec.Name}' has two devices of the same name");
        if (spec.Devices.FirstOrDefault(d => d.SizeBytes <= 0 || d.DirtyRate < 0 || d.AllocationTime < TimeSpan.Zero) is { } bad)
            return CommandResult.Fail($"Device '{bad.Name}' of VM '{spec.Name}' has an invalid size, dirty rate or allocation time");
        if (RamSize.Problem(spec.Devices[0].SizeBytes, $"The RAM of VM '{spec.Name}'") is { } badRam)
            return CommandResult.Fail(badRam);
        if (spec.Workload.DirtyRate < 0)
            return CommandResult.Fail($"VM '{spec.Name}' has a negative dirty rate");
        // Capacity before the sanity bound: a VM bigger than this host is a conflict that names the sizes, however big.
        var needed = spec.Devices.Aggregate(0L, (sum, d) => sum > long.MaxValue - d.SizeBytes ? long.MaxValue : sum + d.SizeBytes);
        var free = _identity.Capacity - Used;
        if (needed > free)
            return CommandResult.Conflict($"Not enough free capacity on host {_identity.Name}: VM '{spec.Name}' needs {needed} bytes, {Math.Max(0, free)} of {_identity.Capacity} are free");
        if (spec.Devices.FirstOrDefault(d => d.SizeBytes > MaxDeviceBytes) is { } huge)
            return CommandResult.Fail($"Device '{huge.Name}' of VM '{spec.Name}' is {huge.SizeBytes} bytes; a device holds at most {MaxDeviceBytes} bytes (1 TiB)");
        return null;
    }

    private void SetIncoming(MigrationCapabilities capabilities, object reply)
    {
        if (capabilities.Check() is { } error)
            Sender.Tell(CommandResult.Fail(error));
        else if (_incoming.Count > 0)
            Sender.Tell(CommandResult.Conflict(QemuErrors.InProgress));
        else
        {
            _incomingCapabilities = capabilities;
            Sender.Tell(reply);
        }
    }

    private void ChangeIncoming(ChangeIncomingCapabilities change)
    {
        if (MigrationSettingsChange.Apply(_incomingCapabilities, change.Changes, out var caps) is { } error)
            Sender.Tell(error);
        else
            SetIncoming(caps, new IncomingCapabilitiesOf(caps));
    }

    /// <summary>As QEMU's destination: multifd-channels must be set before incoming starts.</summary>
    private void ChangeIncomingParameters(ChangeIncomingParameters change)
    {
        if (MigrationSettingsChange.Apply(_incomingParameters, change.Changes, out var parameters) is { } error)
            Sender.Tell(error);
        else if (_incoming.Count > 0)
            Sender.Tell(CommandResult.Conflict(QemuErrors.InProgress));
        else
        {
            _incomingParameters = parameters;
            Sender.Tell(new IncomingParametersOf(parameters));
        }
    }

    private void CancelOutgoing()
    {
        foreach (var vm in _migrating)
            _vms[vm].Actor.Tell(HostLocal.CancelOutgoing.Instance);
        if (_migrating.Count > 0)
            _log.Warning("Node stopping: cancelled {0} outgoing migration(s) ({1}); those VMs stay on this host",
                _migrating.Count, string.Join(", ", _migrating.Order()));
        _stopWaiter = Sender;
        if (_migrating.Count == 0)
            Sender.Tell(Akka.Done.Instance);
    }

    /// <summary>A prepare set aside until the twin of an earlier migration of that VM has gone (or its wait ran out).</summary>
    private sealed record PrepareLater(IncomingProtocol.Prepare Prepare, IActorRef ReplyTo, IActorRef Earlier);

    /// <summary>How long a prepare waits for an earlier twin of the same VM to be discarded.</summary>
    private static readonly TimeSpan EarlierTwinWait = TimeSpan.FromSeconds(2);

    private readonly List<PrepareLater> _preparesLater = [];

    private void Prepare(IncomingProtocol.Prepare prepare) => Prepare(prepare, Sender, mayWait: true);

    private void Prepare(IncomingProtocol.Prepare prepare, IActorRef replyTo, bool mayWait = false)
    {
        // Cancelled and restarted at once: the earlier twin's Abort came just before, the twin goes a moment later; wait, don't refuse.
        if (mayWait && _incoming.TryGetValue(prepare.Spec.Name, out var earlier))
        {
            var later = new PrepareLater(prepare, replyTo, earlier.Actor);
            _preparesLater.Add(later);
            Timers.StartSingleTimer(later, later, EarlierTwinWait);
            return;
        }
        if (CheckSpec(prepare.Spec) is { } error)
        {
            replyTo.Tell(new IncomingProtocol.Refused(prepare.Migration, error.Error!));
            return;
        }
        var incoming = Context.ActorOf(
            IncomingMigration.Props(prepare, _incomingCapabilities, _incomingParameters, _settings, Self, _ledger, _decorateLoads),
            $"incoming-{prepare.Migration}");
        Context.Watch(incoming);
        _incoming[prepare.Spec.Name] = (incoming, Size(prepare.Spec));
    }

    private void Adopt(HostLocal.AdoptVm adopt)
    {
        _incoming.Remove(adopt.Vm.Name);
        Add(adopt.Vm, adopt.Epoch);
        _log.Info("VM {0} arrived by migration {1} and runs here at epoch {2}", adopt.Vm.Name, adopt.Migration, adopt.Epoch);
    }

    private void OnTerminated(Terminated terminated)
    {
        foreach (var (name, _) in _incoming.Where(kv => kv.Value.Actor.Equals(terminated.ActorRef)).ToArray())
            _incoming.Remove(name);
        foreach (var later in _preparesLater.Where(p => p.Earlier.Equals(terminated.ActorRef)).ToArray())
        {
            _preparesLater.Remove(later);
            Timers.Cancel(later);
            Prepare(later.Prepare, later.ReplyTo);
        }
        // A VM actor that stopped without saying goodbye crashed; its VM was disposed with it.
        foreach (var (name, _) in _vms.Where(kv => kv.Value.Actor.Equals(terminated.ActorRef)).ToArray())
        {
            _log.Error("VM actor of {0} stopped unexpectedly", name);
            _vms.Remove(name);
            _migrating.Remove(name);
        }
    }
}
