using Akka.Actor;
using Akka.Event;
using Orchestrator.Actors.Host;
using Orchestrator.Actors.Migration;
using Orchestrator.Actors.Precopy;
using Orchestrator.Actors.Switchover;
using Orchestrator.Devices.Contract;
using Orchestrator.Devices.Machine;
using static Orchestrator.Actors.Incoming.IncomingProtocol;

namespace Orchestrator.Actors.Incoming;

/// <summary>
/// The destination of one migration: an empty twin of the VM, one loader per device, the digest check,
/// and the start on commit. Anything short of a commit ends with the twin discarded.
/// </summary>
internal sealed class IncomingMigration : ReceiveActor, IWithTimers
{
    private sealed record WarmDigests
    {
        public static readonly WarmDigests Instance = new();
    }

    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Prepare _prepare;
    private readonly MigrationCapabilities _capabilities;
    private readonly PrecopyProtocol.Settings _settings;
    private readonly IActorRef _host;
    private readonly HashSet<DeviceName> _loaded = [];
    private VirtualMachine? _vm;
    private DigestWarmer? _warmer;
    private IReadOnlyList<DigestOf>? _sourceDigests;

    public IncomingMigration(Prepare prepare, MigrationCapabilities capabilities, PrecopyProtocol.Settings settings, IActorRef host)
    {
        _prepare = prepare;
        _capabilities = capabilities;
        _settings = settings;
        _host = host;
        Loading();
    }

    public static Props Props(Prepare prepare, MigrationCapabilities capabilities, PrecopyProtocol.Settings settings, IActorRef host) =>
        Akka.Actor.Props.Create(() => new IncomingMigration(prepare, capabilities, settings, host));

    public ITimerScheduler Timers { get; set; } = null!;

    private MigrationId Id => _prepare.Migration;

    protected override void PreStart()
    {
        Context.Watch(_prepare.Source);
        _vm = VirtualMachine.CreateIncoming(_prepare.Spec);
        _warmer = new DigestWarmer(_vm);
        var coordinator = _prepare.Coordinator;
        var loaders = new List<Loader>();
        foreach (var device in _vm.Devices)
        {
            var name = device.Name;
            device.LoadSetup(new LoadContext(_capabilities.SwitchoverAck,
                () => coordinator.Tell(new SwitchoverProtocol.DeviceAcked(Id, name))));
            var loader = Context.ActorOf(DestinationDeviceLoader.Props(Id, device, _settings.DestinationLoadDelay), StreamNames.Loader(name));
            loaders.Add(new Loader(name, loader));
        }
        // QEMU counts the devices needing an ack at load setup, and only when the capability is on here.
        if (_capabilities.SwitchoverAck)
        {
            var needed = _vm.Devices.Where(d => ((IDeviceLoadHandlers)d).SwitchoverAckNeeded).Select(d => d.Name).ToArray();
            coordinator.Tell(new SwitchoverProtocol.ExpectAcks(Id, needed));
        }
        _log.Info("Incoming migration {0} of {1}: {2} device(s) in load setup", Id, _prepare.Spec.Name, loaders.Count);
        _prepare.Source.Tell(new Prepared(Id, Self, loaders));
        // Hash loaded pages as they arrive, so the digest check inside the downtime only sees the last ones.
        Timers.StartPeriodicTimer("warm-digests", WarmDigests.Instance, TimeSpan.FromMilliseconds(250));
    }

    protected override void PostStop() => _vm?.Dispose();

    private void Loading()
    {
        Receive<PrecopyLocal.DeviceLoaded>(loaded =>
        {
            _loaded.Add(loaded.Device);
            ReadyIfComplete();
        });
        Receive<StopCopyStarted>(stop =>
        {
            if (stop.Migration != Id)
                return;
            _sourceDigests = stop.SourceDigests;
            ReadyIfComplete();
        });
        Receive<PrecopyLocal.StreamFailed>(failed => Fail(failed.Reason));
        Receive<Commit>(_ => Fail("commit before every device was loaded and verified"));
        Receive<WarmDigests>(_ => _warmer?.Warm());
        CommonFailures();
    }

    private void Ready()
    {
        Receive<Commit>(commit =>
        {
            if (commit.Migration != Id)
                return;
            var vm = _vm!;
            _vm = null; // the host owns it from here on
            vm.Start();
            _host.Tell(new HostLocal.AdoptVm(vm, Id));
            _log.Info("Incoming migration {0}: committed, {1} runs here", Id, vm.Name);
            _prepare.Source.Tell(new Running(Id));
            Context.Stop(Self);
        });
        Receive<PrecopyLocal.DeviceLoaded>(_ => { });
        Receive<WarmDigests>(_ => { });
        CommonFailures();
    }

    private void CommonFailures()
    {
        Receive<Abort>(abort =>
        {
            if (abort.Migration == Id)
                Discard($"aborted by the source: {abort.Reason}");
        });
        Receive<Terminated>(t => t.ActorRef.Equals(_prepare.Source), _ => Discard("the source migration actor stopped"));
        Receive<Terminated>(_ => { });
    }

    private void ReadyIfComplete()
    {
        if (_sourceDigests is null || _loaded.Count < _vm!.Devices.Count)
            return;
        var mine = _vm.Digests();
        var mismatched = _sourceDigests
            .Where(s => !mine.TryGetValue(s.Device, out var d) || d != s.Digest)
            .Select(s => $"{s.Device} (source {s.Digest}, destination {(mine.TryGetValue(s.Device, out var d) ? d.Hex : "missing")})")
            .ToArray();
        if (mismatched.Length > 0 || _sourceDigests.Count != mine.Count)
        {
            Fail($"digest mismatch on {string.Join(", ", mismatched.DefaultIfEmpty("the device list"))}; destination VM not started");
            return;
        }
        Timers.Cancel("warm-digests");
        _log.Info("Incoming migration {0}: every device loaded and every digest matches", Id);
        _prepare.Source.Tell(new ReadyToStart(Id, mine.Select(kv => new DigestOf(kv.Key, kv.Value)).ToArray()));
        Become(Ready);
    }

    private void Fail(string reason)
    {
        _prepare.Source.Tell(new Failed(Id, reason));
        Discard(reason);
    }

    private void Discard(string reason)
    {
        _log.Warning("Incoming migration {0} of {1} discarded: {2}", Id, _prepare.Spec.Name, reason);
        if (_vm is not null)
        {
            foreach (IDeviceLoadHandlers device in _vm.Devices)
                device.LoadCleanup();
            _vm.Dispose();
            _vm = null;
        }
        Context.Stop(Self);
    }
}
