using Orchestrator.Actors.Fencing;
using Orchestrator.Actors.Multifd;
using Orchestrator.Actors.Switchover;
using static Orchestrator.Actors.Incoming.IncomingProtocol;

namespace Orchestrator.Actors.Incoming;

/// <summary>The destination of one migration: an empty twin, a loader per device, the digest check, the start on commit; short of it, the twin goes.</summary>
internal sealed class IncomingMigration : ReceiveActor, IWithTimers
{
    private sealed record WarmDigests { public static readonly WarmDigests Instance = new(); }

    /// <summary>A device approved the switchover, from its own thread: the ack goes out from here, logged.</summary>
    private sealed record DeviceApproved(DeviceName Device);

    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Prepare _prepare;
    private readonly MigrationCapabilities _capabilities;
    private readonly MigrationSettings _migrationSettings;
    private readonly int _multifdChannels;
    private readonly PrecopyProtocol.Settings _settings;
    private readonly TimeProvider _time;
    private readonly IActorRef _host;
    private readonly IActorRef? _ledger;
    private readonly IncomingLoadDecorator? _decorateLoads;
    private readonly TimeSpan _retry;
    private readonly HashSet<DeviceName> _loaded = [];
    private readonly HashSet<DeviceName> _approved = [];
    private IReadOnlyList<DeviceName> _owingAcks = [];
    private VirtualMachine? _vm;
    private DigestWarmer? _warmer;
    private bool _stopped;
    private IActorRef? _multifd;

    public IncomingMigration(
        Prepare prepare, MigrationCapabilities capabilities, MigrationParameters parameters, MigrationSettings settings, IActorRef host, IActorRef? ledger,
        IncomingLoadDecorator? decorateLoads)
    {
        _migrationSettings = settings;
        _multifdChannels = capabilities.Multifd ? parameters.MultifdChannels : 0;
        _decorateLoads = decorateLoads;
        _prepare = prepare;
        _capabilities = capabilities;
        _settings = settings.Precopy;
        _time = settings.Time;
        _host = host;
        _ledger = ledger;
        _retry = settings.OwnershipTimeouts.Retry;
        Loading();
    }

    public static Props Props(
        Prepare prepare, MigrationCapabilities capabilities, MigrationParameters parameters, MigrationSettings settings, IActorRef host,
        IActorRef? ledger = null, IncomingLoadDecorator? decorateLoads = null) =>
        Akka.Actor.Props.Create(() => new IncomingMigration(prepare, capabilities, parameters, settings, host, ledger, decorateLoads));

    public ITimerScheduler Timers { get; set; } = null!;

    private MigrationId Id => _prepare.Migration;

    protected override void PreStart()
    {
        Context.Watch(_prepare.Source);
        if (MultifdMismatch.Between(_prepare.MultifdChannels, _multifdChannels) is { } mismatch)
        {
            _prepare.Source.Tell(new Refused(Id, mismatch));
            Discard(mismatch);
            return;
        }
        _vm = VirtualMachine.CreateIncoming(_prepare.Spec, _time);
        _warmer = new DigestWarmer(_vm);
        var coordinator = _prepare.Coordinator;
        var self = Self;
        var loaders = new List<Loader>();
        foreach (var device in _vm.Devices)
        {
            var name = device.Name;
            device.LoadSetup(new LoadContext(_capabilities.SwitchoverAck, () => self.Tell(new DeviceApproved(name))));
            var loader = Context.ActorOf(DestinationDeviceLoader.Props(Id, _decorateLoads?.Invoke(_prepare.Spec, device) ?? device, _settings.DestinationLoadDelay,
                multifdCredits: _multifdChannels > 0 ? _prepare.Source : null, window: _settings.Window), StreamNames.Loader(name));
            loaders.Add(new Loader(name, loader));
        }
        // QEMU counts the devices needing an ack at load setup, and only when the capability is on here.
        var needed = _vm.Devices.Where(d => d.SwitchoverAckNeeded).Select(d => d.Name).ToArray();
        _owingAcks = needed;
        if (_capabilities.SwitchoverAck)
            coordinator.Tell(new SwitchoverProtocol.ExpectAcks(Id, needed));
        else if (_prepare.SourceSwitchoverAck && needed.Length == 0)
        {
            // No device here sends the initial-data marker that reveals the mismatch (QEMU's load error): the source would wait for an
            // ack forever (QEMU 10 does). Say so now, while the source still runs.
            _prepare.Source.Tell(new Refused(Id,
                "switchover-ack is on at the source but off at the destination, and no device sends initial data that would reveal it: " +
                "the source would wait for a switchover ack that never comes (it is not negotiated: set it the same on both sides)"));
            Discard("switchover-ack is on at the source only");
            return;
        }
        _log.Info("Incoming migration {0} of {1}: {2} device(s) in load setup", Id, _prepare.Spec.Name, loaders.Count);
        _prepare.Source.Tell(new Prepared(Id, Self, loaders, ListenForChannels(loaders)));
        // Hash loaded pages as they arrive, so the digest check inside the downtime only sees the last ones.
        Timers.StartPeriodicTimer("warm-digests", WarmDigests.Instance, TimeSpan.FromMilliseconds(250));
    }

    protected override void PostStop() => _vm?.Dispose();

    /// <summary>With multifd on: the channels' listener, whose port and token go to the source in the setup answer.</summary>
    private MultifdProtocol.Endpoint? ListenForChannels(IReadOnlyList<Loader> loaders)
    {
        if (_multifdChannels == 0)
            return null;
        var host = ((ExtendedActorSystem)Context.System).Provider.DefaultAddress.Host ?? "127.0.0.1";
        var (props, endpoint) = MultifdReceiver.Listen(host, _multifdChannels, loaders.Select(l => l.Ref).ToArray(),
            _migrationSettings.SetupTimeout, _migrationSettings.MultifdTransport?.Incoming);
        _multifd = Context.Watch(Context.ActorOf(props, "multifd"));
        _log.Info("Incoming migration {0}: multifd listening on {1}:{2} for {3} channel(s)", Id, endpoint.Host, endpoint.Port, _multifdChannels);
        return endpoint;
    }

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
            _stopped = true;
            ReadyIfComplete();
        });
        Receive<DeviceApproved>(approved =>
        {
            _approved.Add(approved.Device);
            _log.Info("Incoming migration {0}: {1} loaded its initial data and approved the switchover; ack sent", Id, approved.Device);
            _prepare.Coordinator.Tell(new SwitchoverProtocol.DeviceAcked(Id, approved.Device));
        });
        // The source asks while it waits for acks: the answer stands in for an ack or a count that was lost on the way.
        Receive<SwitchoverProtocol.ApprovalsQuery>(query => query.Migration == Id, _ =>
            Sender.Tell(new SwitchoverProtocol.Approvals(Id, _capabilities.SwitchoverAck ? _owingAcks : null, _approved.ToArray())));
        Receive<PrecopyLocal.StreamFailed>(failed => Fail(failed.Reason));
        Receive<MultifdLocal.Broken>(broken => Fail(broken.Reason));
        Receive<Terminated>(t => t.ActorRef.Equals(_multifd), _ => Fail("multifd: the channels' receiver stopped"));
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
            if (!Sender.Equals(_prepare.Source))
            {
                _log.Warning("Incoming migration {0}: a commit from {1}, not from its source {2}; ignored", Id, Sender.Path, _prepare.Source.Path);
                return;
            }
            // A recorded commit already has the ledger's answer: asking again would only make the start wait out a ledger failover.
            if (_ledger is null || commit.Recorded)
                Start(commit.Epoch);
            else
                Resolve("the source committed without the ledger's record");
        });
        Receive<PrecopyLocal.DeviceLoaded>(_ => { });
        Receive<WarmDigests>(_ => { });
        Receive<SwitchoverProtocol.ApprovalsQuery>(_ => { }); // the source has stopped: it no longer waits for acks
        Receive<MultifdLocal.Broken>(_ => { }); // everything arrived: the source closes its channels once drained
        if (_ledger is not null)
        {
            // Fully loaded and verified: the source may have recorded the commit and died before telling us.
            Receive<Terminated>(t => t.ActorRef.Equals(_prepare.Source), _ => Resolve("the source migration actor stopped after the destination was ready"));
        }
        CommonFailures();
    }

    private void Start(long epoch)
    {
        var vm = _vm!;
        _vm = null; // the host owns it from here on
        vm.Start();
        _host.Tell(new HostLocal.AdoptVm(vm, Id, epoch));
        _log.Info("Incoming migration {0}: committed, {1} runs here at epoch {2}", Id, vm.Name, epoch);
        _prepare.Source.Tell(new Running(Id));
        Context.Stop(Self);
    }

    // ---- fencing ------------------------------------------------------------------------------

    /// <summary>Ask the ledger: committed (start) or fenced (discard). Until it answers, the twin stays paused.</summary>
    private void Resolve(string why)
    {
        _log.Info("Incoming migration {0}: {1}; asking the ownership ledger", Id, why);
        // No bound on asking: starting unasked could run two copies, discarding could lose a committed VM.
        Context.ActorOf(LedgerQuestion.Props(_ledger!, new OwnershipProtocol.Resolve(_prepare.Spec.Name, Id), _retry, attempts: null));
        Become(Resolving);
    }

    private void Resolving()
    {
        Receive<OwnershipProtocol.Committed>(c => c.Migration == Id, c => Start(c.Epoch));
        Receive<OwnershipProtocol.Fenced>(f => f.Migration == Id, _ => Fail("the ownership ledger fenced this migration; the VM stays with its source"));
        Receive<OwnershipProtocol.Refused>(r => r.Migration == Id, r => Fail($"the ownership ledger refused: {r.Reason}"));
        Receive<Abort>(abort => abort.Migration == Id, abort => Discard($"aborted by the source: {abort.Reason}"));
        Receive<Terminated>(_ => { });
        Receive<Commit>(_ => { });
        ReceiveAny(_ => { });
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
        if (!_stopped || _loaded.Count < _vm!.Devices.Count)
            return;
        // The source compares them with its own: it decides whether to commit, and this copy starts only on that commit.
        var mine = _vm.Digests();
        Timers.Cancel("warm-digests");
        _log.Info("Incoming migration {0}: every device loaded after the stop; digests sent to the source", Id);
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
            foreach (var device in _vm.Devices)
                device.LoadCleanup();
            _vm.Dispose();
            _vm = null;
        }
        Context.Stop(Self);
    }
}
