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
/// </summary>
internal sealed partial class VmHost : ReceiveActor
{
    public const string Name = "vm-host";

    /// <summary>Guards against a peer asking for absurd twins; real limits come with host capacity.</summary>
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
    private readonly Dictionary<string, VmEntry> _vms = [];
    private readonly Dictionary<string, IActorRef> _incoming = [];
    private readonly Dictionary<string, MigrationInfo> _finished = [];
    private MigrationCapabilities _incomingCapabilities = new();

    public VmHost(MigrationSettings settings)
    {
        _settings = settings;
        Receive<CreateVm>(Create);
        Receive<ListVms>(_ => Sender.Tell(new VmList(
            _vms.Values.Select(Summary).OrderBy(v => v.Name).ToArray(),
            _incoming.Keys.Order().ToArray())));
        Receive<SetIncomingCapabilities>(SetIncoming);
        Receive<SetCapabilities>(SetVmCapabilities);
        Receive<SetParameters>(SetVmParameters);
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
            else if (Find(resume.Vm) is null)
                Sender.Tell(NotFound(resume.Vm));
            else
                Sender.Tell(CommandResult.Fail($"Migration not in expected state: {(_finished.TryGetValue(resume.Vm, out var f) ? f.Status.Name() : "none")}"));
        });
        Receive<GetMigrationSettings>(get => Sender.Tell(Find(get.Vm) is { } entry
            ? new MigrationSettingsOf(entry.Capabilities, entry.Parameters)
            : NotFound(get.Vm)));
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
        Receive<Terminated>(OnTerminated);
    }

    public static Props Props(MigrationSettings settings) => Akka.Actor.Props.Create(() => new VmHost(settings));

    // A crashed migration or incoming actor must not be restarted with half its state.
    protected override SupervisorStrategy SupervisorStrategy() => new OneForOneStrategy(_ => Directive.Stop);

    protected override void PostStop()
    {
        foreach (var entry in _vms.Values)
            entry.Vm.Dispose();
    }

    private Address SelfAddress => ((ExtendedActorSystem)Context.System).Provider.DefaultAddress;

    private VmEntry? Find(string vm) => _vms.GetValueOrDefault(vm);

    private static CommandResult NotFound(string vm) => CommandResult.Fail($"VM '{vm}' not found on this host");

    private static VmSummary Summary(VmEntry entry) => new(
        entry.Vm.Name,
        entry.Vm.State switch
        {
            VmRunState.Running => VmStates.Running,
            VmRunState.Paused => VmStates.Paused,
            _ => VmStates.Stopped,
        },
        entry.Vm.Ram?.Spec.SizeBytes ?? 0,
        entry.Vm.Devices.Select(d => $"{d.Kind.Name()}:{d.Name}").ToArray());

    private void Create(CreateVm create)
    {
        if (CheckSpec(create.Spec) is { } error)
        {
            Sender.Tell(CommandResult.Fail(error));
            return;
        }
        var vm = VirtualMachine.Create(create.Spec);
        vm.Start();
        _vms[vm.Name] = new VmEntry(vm);
        _finished.Remove(vm.Name);
        _log.Info("VM {0} created and running", vm.Name);
        Sender.Tell(CommandResult.Ok);
    }

    private string? CheckSpec(VmSpec spec)
    {
        if (!VmNamePattern().IsMatch(spec.Name))
            return $"Invalid VM name '{spec.Name}': use 1 to 63 letters, digits, '.', '_' or '-'";
        if (_vms.ContainsKey(spec.Name) || _incoming.ContainsKey(spec.Name))
            return $"VM '{spec.Name}' already exists on this host";
        if (spec.Devices.Count == 0 || spec.Devices.Count > 16)
            return $"VM '{spec.Name}' must have 1 to 16 devices";
        if (spec.Devices.Select(d => d.Name).Distinct().Count() != spec.Devices.Count)
            return $"VM '{spec.Name}' has two devices of the same name";
        if (spec.Devices.FirstOrDefault(d => d.SizeBytes <= 0 || d.SizeBytes > MaxDeviceBytes || d.DirtyRate < 0 || d.AllocationTime < TimeSpan.Zero) is { } bad)
            return $"Device '{bad.Name}' of VM '{spec.Name}' has an invalid size, dirty rate or allocation time";
        if (spec.Workload.DirtyRate < 0)
            return $"VM '{spec.Name}' has a negative dirty rate";
        return null;
    }

    private void SetIncoming(SetIncomingCapabilities set)
    {
        if (set.Capabilities.Check() is { } error)
            Sender.Tell(CommandResult.Fail(error));
        else if (_incoming.Count > 0)
            Sender.Tell(CommandResult.Fail("There's a migration process in progress"));
        else
        {
            _incomingCapabilities = set.Capabilities;
            Sender.Tell(CommandResult.Ok);
        }
    }

    private void SetVmCapabilities(SetCapabilities set)
    {
        if (Find(set.Vm) is not { } entry)
        {
            Sender.Tell(NotFound(set.Vm));
            return;
        }
        if (entry.Migration is not null)
        {
            Sender.Tell(CommandResult.Fail("There's a migration process in progress"));
            return;
        }
        try
        {
            var caps = set.Changes.Aggregate(entry.Capabilities, (c, change) => c.With(change.Name, change.State));
            if (caps.Check() is { } error)
            {
                Sender.Tell(CommandResult.Fail(error));
                return;
            }
            entry.Capabilities = caps;
            Sender.Tell(CommandResult.Ok);
        }
        catch (MigrationArgumentException e)
        {
            Sender.Tell(CommandResult.Fail(e.Message));
        }
    }

    private void SetVmParameters(SetParameters set)
    {
        if (Find(set.Vm) is not { } entry)
        {
            Sender.Tell(NotFound(set.Vm));
            return;
        }
        try
        {
            // Validate a copy; only a fully valid set replaces the old one.
            var parameters = set.Changes.Aggregate(entry.Parameters, (p, change) => p.With(change.Name, change.Value));
            entry.Parameters = parameters;
            entry.Migration?.Tell(new MigrationProtocol.ParametersChanged(parameters));
            Sender.Tell(CommandResult.Ok);
        }
        catch (MigrationArgumentException e)
        {
            Sender.Tell(CommandResult.Fail(e.Message));
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
            Sender.Tell(CommandResult.Fail("There's a migration process in progress"));
            return;
        }
        if (migrate.Destination.Equals(SelfAddress))
        {
            Sender.Tell(CommandResult.Fail($"VM '{migrate.Vm}' already runs on {SelfAddress}: pick another destination host"));
            return;
        }
        if (entry.Capabilities.Check() is { } error)
        {
            Sender.Tell(CommandResult.Fail(error));
            return;
        }
        var id = MigrationId.New();
        entry.Migration = Context.ActorOf(
            SourceMigration.Props(id, entry.Vm, migrate.Destination, entry.Capabilities, entry.Parameters, _settings, Self),
            $"migration-{id}");
        Context.Watch(entry.Migration);
        _finished.Remove(migrate.Vm);
        Sender.Tell(new MigrationStarted(id));
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
    }

    private void Prepare(IncomingProtocol.Prepare prepare)
    {
        if (CheckSpec(prepare.Spec) is { } error)
        {
            Sender.Tell(new IncomingProtocol.Refused(prepare.Migration, error));
            return;
        }
        var incoming = Context.ActorOf(
            IncomingMigration.Props(prepare, _incomingCapabilities, _settings.Precopy, Self),
            $"incoming-{prepare.Migration}");
        Context.Watch(incoming);
        _incoming[prepare.Spec.Name] = incoming;
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
        foreach (var (name, incoming) in _incoming.Where(kv => kv.Value.Equals(terminated.ActorRef)).ToArray())
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
