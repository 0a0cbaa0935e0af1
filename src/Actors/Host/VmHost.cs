using System.Text.RegularExpressions;
using Akka.Actor;
using Akka.Event;
using Orchestrator.Actors.Incoming;
using Orchestrator.Actors.Migration;
using Orchestrator.Devices.Contract;
using Orchestrator.Devices.Machine;
using static Orchestrator.Actors.Host.HostProtocol;

namespace Orchestrator.Actors.Host;

/// <summary>
/// One per node: the VMs that run here, their migration settings, migrations out of them and
/// migrations into this node. It owns every VM instance on the node; a migration borrows one.
/// Capacity is held from the moment an incoming migration is prepared, so two migrations can
/// never both count on the same free memory.
/// </summary>
internal sealed partial class VmHost : ReceiveActor
{
    public const string Name = "vm-host";

    /// <summary>Guards against a peer asking for absurd twins.</summary>
    private const long MaxDeviceBytes = 1L << 40;

    private sealed class VmEntry(VirtualMachine vm)
    {
        public VirtualMachine Vm { get; } = vm;
        public MigrationCapabilities Capabilities { get; set; } = new();
        public MigrationParameters Parameters { get; set; } = new();
        public IActorRef? Migration { get; set; }
    }

    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly MigrationSettings _settings;
    private readonly HostIdentity _identity;
    private readonly Dictionary<string, VmEntry> _vms = [];
    private readonly Dictionary<string, (IActorRef Actor, long Bytes)> _incoming = [];
    private readonly Dictionary<string, MigrationInfo> _finished = [];
    private MigrationCapabilities _incomingCapabilities;
    private IActorRef? _stopWaiter;

    public VmHost(MigrationSettings settings, HostIdentity identity, MigrationCapabilities? incomingCapabilities)
    {
        _settings = settings;
        _identity = identity;
        _incomingCapabilities = incomingCapabilities ?? new MigrationCapabilities();
        Receive<CreateVm>(Create);
        Receive<DeleteVm>(Delete);
        Receive<ListVms>(_ => Sender.Tell(new VmList(
            _identity.Name,
            _vms.Values.Select(Summary).OrderBy(v => v.Name).ToArray(),
            _incoming.Keys.Order().ToArray())));
        Receive<GetStatus>(_ => Sender.Tell(new HostStatus(_identity.Name, _identity.Capacity, Used, _vms.Count, _incomingCapabilities)));
        Receive<SetIncomingCapabilities>(set => SetIncoming(set.Capabilities, reply: CommandResult.Ok));
        Receive<ChangeIncomingCapabilities>(ChangeIncoming);
        Receive<SetCapabilities>(SetVmCapabilities);
        Receive<SetParameters>(SetVmParameters);
        Receive<GetMigrationSettings>(get => Sender.Tell(Find(get.Vm) is { } entry
            ? new MigrationSettingsOf(entry.Capabilities, entry.Parameters)
            : NotFound(get.Vm)));
        Receive<Migrate>(StartMigration);
        Receive<QueryMigrate>(Query);
        Receive<MigrateCancel>(cancel =>
        {
            // QEMU: migrate_cancel without a migration, or after it ended, changes nothing.
            if (Find(cancel.Vm) is { Migration: { } migration })
                migration.Tell(MigrationProtocol.Cancel.Instance);
            Sender.Tell(Find(cancel.Vm) is null && !_finished.ContainsKey(cancel.Vm) ? NotFound(cancel.Vm) : CommandResult.Ok);
        });
        Receive<MigrateContinue>(resume =>
        {
            if (Find(resume.Vm) is { Migration: { } migration })
                migration.Forward(MigrationProtocol.Continue.Instance);
            else if (Find(resume.Vm) is null && !_finished.ContainsKey(resume.Vm))
                Sender.Tell(NotFound(resume.Vm));
            else
                Sender.Tell(CommandResult.Conflict($"Migration not in expected state: {(_finished.TryGetValue(resume.Vm, out var f) ? f.Status.Name() : "none")}"));
        });
        Receive<GetDigests>(get =>
        {
            if (Find(get.Vm) is { } entry)
                Sender.Tell(new VmDigests(entry.Vm.Digests()));
            else
                Sender.Tell(NotFound(get.Vm));
        });
        Receive<MigrationProtocol.Ended>(Ended);
        Receive<IncomingProtocol.Prepare>(Prepare);
        Receive<HostLocal.AdoptVm>(Adopt);
        Receive<HostLocal.CancelOutgoing>(_ => CancelOutgoing());
        Receive<Terminated>(OnTerminated);
    }

    public static Props Props(MigrationSettings settings, HostIdentity identity, MigrationCapabilities? incomingCapabilities = null) =>
        Akka.Actor.Props.Create(() => new VmHost(settings, identity, incomingCapabilities));

    // A crashed migration or incoming actor must not be restarted with half its state.
    protected override SupervisorStrategy SupervisorStrategy() => new OneForOneStrategy(_ => Directive.Stop);

    protected override void PostStop()
    {
        foreach (var entry in _vms.Values)
            entry.Vm.Dispose();
    }

    private Address SelfAddress => ((ExtendedActorSystem)Context.System).Provider.DefaultAddress;

    private long Used => _vms.Values.Sum(e => Size(e.Vm.Spec)) + _incoming.Values.Sum(i => i.Bytes);

    private static long Size(VmSpec spec) => spec.Devices.Sum(d => d.SizeBytes);

    private VmEntry? Find(string vm) => _vms.GetValueOrDefault(vm);

    private CommandResult NotFound(string vm) => CommandResult.NotFound($"VM '{vm}' not found on host {_identity.Name}");

    private static VmSummary Summary(VmEntry entry) => new(
        entry.Vm.Name,
        entry.Vm.State switch
        {
            VmRunState.Running => VmStates.Running,
            VmRunState.Paused => VmStates.Paused,
            _ => VmStates.Stopped,
        },
        entry.Vm.Ram?.Spec.SizeBytes ?? 0,
        entry.Vm.Devices.Select(d => new DeviceSummary(d.Name.Value, d.Kind.Name(), d.Spec.SizeBytes)).ToArray());

    private void Create(CreateVm create)
    {
        if (CheckSpec(create.Spec) is { } error)
        {
            Sender.Tell(error);
            return;
        }
        var vm = VirtualMachine.Create(create.Spec);
        vm.Start();
        _vms[vm.Name] = new VmEntry(vm);
        _finished.Remove(vm.Name);
        _log.Info("VM {0} created and running", vm.Name);
        Sender.Tell(CommandResult.Ok);
    }

    private void Delete(DeleteVm delete)
    {
        if (Find(delete.Vm) is not { } entry)
            Sender.Tell(NotFound(delete.Vm));
        else if (entry.Migration is not null)
            Sender.Tell(CommandResult.Conflict("There's a migration process in progress"));
        else
        {
            _vms.Remove(delete.Vm);
            _finished.Remove(delete.Vm);
            entry.Vm.Dispose();
            _log.Info("VM {0} deleted", delete.Vm);
            Sender.Tell(CommandResult.Ok);
        }
    }

    private CommandResult? CheckSpec(VmSpec spec)
    {
        if (!VmNamePattern().IsMatch(spec.Name))
            return CommandResult.Fail($"Invalid VM name '{spec.Name}': use 1 to 63 letters, digits, '.', '_' or '-', starting with a letter or digit");
        if (_vms.ContainsKey(spec.Name) || _incoming.ContainsKey(spec.Name))
            return CommandResult.Conflict($"VM '{spec.Name}' already exists on host {_identity.Name}");
        if (spec.Devices.Count == 0 || spec.Devices.Count > 16 || spec.Devices[0].Kind != DeviceKind.Ram)
            return CommandResult.Fail($"VM '{spec.Name}' must have RAM first and 1 to 16 devices in all");
        if (spec.Devices.Select(d => d.Name).Distinct().Count() != spec.Devices.Count)
            return CommandResult.Fail($"VM '{spec.Name}' has two devices of the same name");
        if (spec.Devices.FirstOrDefault(d => d.SizeBytes <= 0 || d.SizeBytes > MaxDeviceBytes || d.DirtyRate < 0 || d.AllocationTime < TimeSpan.Zero) is { } bad)
            return CommandResult.Fail($"Device '{bad.Name}' of VM '{spec.Name}' has an invalid size, dirty rate or allocation time");
        if (spec.Workload.DirtyRate < 0)
            return CommandResult.Fail($"VM '{spec.Name}' has a negative dirty rate");
        var needed = Size(spec);
        var free = _identity.Capacity - Used;
        if (needed > free)
            return CommandResult.Conflict($"Not enough free capacity on host {_identity.Name}: VM '{spec.Name}' needs {needed} bytes, {Math.Max(0, free)} of {_identity.Capacity} are free");
        return null;
    }

    private void SetIncoming(MigrationCapabilities capabilities, object reply)
    {
        if (capabilities.Check() is { } error)
            Sender.Tell(CommandResult.Fail(error));
        else if (_incoming.Count > 0)
            Sender.Tell(CommandResult.Conflict("There's a migration process in progress"));
        else
        {
            _incomingCapabilities = capabilities;
            Sender.Tell(reply);
        }
    }

    private void ChangeIncoming(ChangeIncomingCapabilities change)
    {
        try
        {
            var caps = change.Changes.Aggregate(_incomingCapabilities, (c, x) => c.With(x.Name, x.State));
            SetIncoming(caps, new IncomingCapabilitiesOf(caps));
        }
        catch (MigrationArgumentException e)
        {
            Sender.Tell(CommandResult.Fail(e.Message));
        }
    }

    private void SetVmCapabilities(SetCapabilities set)
    {
        if (Find(set.Vm) is not { } entry)
            Sender.Tell(NotFound(set.Vm));
        else if (entry.Migration is not null)
            Sender.Tell(CommandResult.Conflict("There's a migration process in progress"));
        else if (Apply(entry.Capabilities, set.Changes, out var caps) is { } error)
            Sender.Tell(error);
        else
        {
            entry.Capabilities = caps;
            Sender.Tell(CommandResult.Ok);
        }
    }

    private void SetVmParameters(SetParameters set)
    {
        if (Find(set.Vm) is not { } entry)
            Sender.Tell(NotFound(set.Vm));
        else if (Apply(entry.Parameters, set.Changes, out var parameters) is { } error)
            Sender.Tell(error);
        else
        {
            entry.Parameters = parameters;
            entry.Migration?.Tell(new MigrationProtocol.ParametersChanged(parameters));
            Sender.Tell(new MigrationSettingsOf(entry.Capabilities, parameters));
        }
    }

    /// <summary>Capability changes on a copy, checked as a whole: QEMU's migrate_caps_check.</summary>
    private static CommandResult? Apply(MigrationCapabilities current, IEnumerable<(string Name, bool State)> changes, out MigrationCapabilities result)
    {
        result = current;
        try
        {
            var caps = changes.Aggregate(current, (c, change) => c.With(change.Name, change.State));
            if (caps.Check() is { } error)
                return CommandResult.Fail(error);
            result = caps;
            return null;
        }
        catch (MigrationArgumentException e)
        {
            return CommandResult.Fail(e.Message);
        }
    }

    /// <summary>Parameter changes on a copy: an invalid set changes nothing.</summary>
    private static CommandResult? Apply(MigrationParameters current, IEnumerable<(string Name, string Value)> changes, out MigrationParameters result)
    {
        result = current;
        try
        {
            result = changes.Aggregate(current, (p, change) => p.With(change.Name, change.Value));
            return null;
        }
        catch (MigrationArgumentException e)
        {
            return CommandResult.Fail(e.Message);
        }
    }

    private void StartMigration(Migrate migrate)
    {
        if (Find(migrate.Vm) is not { } entry)
        {
            Sender.Tell(NotFound(migrate.Vm));
            return;
        }
        if (entry.Migration is not null)
        {
            Sender.Tell(CommandResult.Conflict("There's a migration process in progress"));
            return;
        }
        if (migrate.Destination.Equals(SelfAddress))
        {
            Sender.Tell(CommandResult.Conflict($"VM '{migrate.Vm}' already runs on host {_identity.Name}: pick another destination host"));
            return;
        }
        var capabilities = migrate.Capabilities ?? entry.Capabilities;
        if (capabilities.Check() is { } capsError)
        {
            Sender.Tell(CommandResult.Fail(capsError));
            return;
        }
        if (Apply(entry.Parameters, migrate.Parameters ?? [], out var parameters) is { } paramsError)
        {
            Sender.Tell(paramsError);
            return;
        }
        entry.Capabilities = capabilities;
        entry.Parameters = parameters;
        var id = MigrationId.New();
        entry.Migration = Context.ActorOf(
            SourceMigration.Props(id, entry.Vm, migrate.Destination, capabilities, parameters, _settings, Self),
            $"migration-{id}");
        Context.Watch(entry.Migration);
        _finished.Remove(migrate.Vm);
        Sender.Tell(new MigrationStarted(id, _identity.Name));
    }

    private void Query(QueryMigrate query)
    {
        if (Find(query.Vm) is { Migration: { } migration })
            migration.Forward(MigrationProtocol.Query.Instance);
        else if (_finished.TryGetValue(query.Vm, out var info))
            Sender.Tell(info);
        else if (Find(query.Vm) is not null)
            Sender.Tell(NoMigration.Instance);
        else
            Sender.Tell(NotFound(query.Vm));
    }

    private void Ended(MigrationProtocol.Ended ended)
    {
        _finished[ended.Vm] = ended.Final;
        if (Find(ended.Vm) is not { } entry || !Sender.Equals(entry.Migration))
            return;
        Context.Unwatch(Sender);
        // Behind any query already forwarded to it, which must still be answered.
        Sender.Tell(PoisonPill.Instance);
        entry.Migration = null;
        if (ended.Final.Status == MigrationStatus.Completed)
        {
            _vms.Remove(ended.Vm);
            entry.Vm.Dispose();
            _log.Info("VM {0} left this host (migration {1} completed)", ended.Vm, ended.Migration);
        }
        if (_stopWaiter is not null && _vms.Values.All(e => e.Migration is null))
            _stopWaiter.Tell(Akka.Done.Instance);
    }

    private void CancelOutgoing()
    {
        var running = _vms.Values.Where(e => e.Migration is not null).ToArray();
        foreach (var entry in running)
            entry.Migration!.Tell(MigrationProtocol.Cancel.Instance);
        if (running.Length > 0)
            _log.Warning("Node stopping: cancelled {0} outgoing migration(s) ({1}); those VMs stay on this host",
                running.Length, string.Join(", ", running.Select(e => e.Vm.Name)));
        _stopWaiter = Sender;
        if (running.Length == 0)
            Sender.Tell(Akka.Done.Instance);
    }

    private void Prepare(IncomingProtocol.Prepare prepare)
    {
        if (CheckSpec(prepare.Spec) is { } error)
        {
            Sender.Tell(new IncomingProtocol.Refused(prepare.Migration, error.Error!));
            return;
        }
        var incoming = Context.ActorOf(
            IncomingMigration.Props(prepare, _incomingCapabilities, _settings.Precopy, Self),
            $"incoming-{prepare.Migration}");
        Context.Watch(incoming);
        _incoming[prepare.Spec.Name] = (incoming, Size(prepare.Spec));
    }

    private void Adopt(HostLocal.AdoptVm adopt)
    {
        _incoming.Remove(adopt.Vm.Name);
        _vms[adopt.Vm.Name] = new VmEntry(adopt.Vm);
        _finished.Remove(adopt.Vm.Name);
        _log.Info("VM {0} arrived by migration {1} and runs here", adopt.Vm.Name, adopt.Migration);
    }

    private void OnTerminated(Terminated terminated)
    {
        foreach (var (name, _) in _incoming.Where(kv => kv.Value.Actor.Equals(terminated.ActorRef)).ToArray())
            _incoming.Remove(name);
        foreach (var entry in _vms.Values.Where(e => terminated.ActorRef.Equals(e.Migration)))
        {
            // The migration crashed without reaching an end: keep the VM as it is (paused if it was
            // stopped for switchover), since a commit may have gone out.
            _log.Error("Migration actor of {0} stopped without ending; the VM is left {1}", entry.Vm.Name, entry.Vm.State);
            entry.Migration = null;
        }
    }

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$")]
    private static partial Regex VmNamePattern();
}
