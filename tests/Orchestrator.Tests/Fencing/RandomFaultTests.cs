using Akka.Actor;
using Akka.TestKit.Xunit2;
using Orchestrator.Actors.Fencing;
using Orchestrator.Actors.Host;
using Orchestrator.Actors.Migration;
using Orchestrator.Actors.Wiring;
using Orchestrator.Devices.Contract;
using Orchestrator.Devices.Machine;
using Xunit;
using Xunit.Abstractions;
using static Orchestrator.Actors.Fencing.OwnershipProtocol;

namespace Orchestrator.Tests.Fencing;

/// <summary>
/// Hundreds of migrations between two nodes with a fault placed at a random phase of each: ledger
/// messages lost, the ledger unreachable, cancels, the destination's migration actor or its whole
/// node killed, a device that never acks. After every step: no VM runs twice, none is lost (except
/// with a host that died owning it) and every completed migration's digests match. The seed is
/// printed; ORCHESTRATOR_TEST_SEED=N replays a run.
/// </summary>
[Trait("Category", "Scenario")]
public sealed class RandomFaultTests : TestKit, IAsyncLifetime
{
    private const int Migrations = 200;
    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(10);

    private static readonly MigrationSettings Settings = MigrationSettings.Default with
    {
        SetupTimeout = TimeSpan.FromSeconds(3),
        CommitTimeout = TimeSpan.FromSeconds(3),
        Ownership = new OwnershipTimeouts(TimeSpan.FromMilliseconds(300), TimeSpan.FromMilliseconds(100), ResolveAttempts: 5),
    };

    private enum Fault
    {
        None,
        DropCommit,
        DropCommitReply,
        LedgerUnreachable,
        Cancel,
        KillIncoming,
        KillDestinationNode,
        NeverAcks,

        /// <summary>The ledger's host dies: the ledger stops, and a successor recovers its journal a moment later.</summary>
        LedgerFailover,
    }

    private static readonly MigrationPhase[] Phases = Enum.GetValues<MigrationPhase>();

    /// <summary>The state the test gives a destination twin still held by its incoming migration.</summary>
    private const string Incoming = "incoming";

    private readonly ITestOutputHelper _output;
    private readonly int _seed;
    private readonly Random _random;
    private readonly MigrationNode?[] _nodes = new MigrationNode?[2];
    private IActorRef _ledger = ActorRefs.Nobody;
    private Task _failover = Task.CompletedTask;
    private IActorRef _relay = ActorRefs.Nobody;

    public RandomFaultTests(ITestOutputHelper output) : base(TestSystem.Start("ledger"), output)
    {
        _output = output;
        _seed = int.TryParse(Environment.GetEnvironmentVariable("ORCHESTRATOR_TEST_SEED"), out var seed) ? seed : Random.Shared.Next();
        _random = new Random(_seed);
        var line = $"RandomFaultTests seed: {_seed} (replay: ORCHESTRATOR_TEST_SEED={_seed} dotnet test --filter FullyQualifiedName~RandomFaultTests)";
        _output.WriteLine(line);
        Console.Error.WriteLine(line);
    }

    public async Task InitializeAsync()
    {
        _ledger = Sys.ActorOf(OwnershipLedger.Props(), "ownership");
        _relay = Sys.ActorOf(LedgerRelay.Props(_ledger, LedgerFault.None), "relay");
        for (var i = 0; i < _nodes.Length; i++)
            await StartNode(i);
    }

    public async Task DisposeAsync()
    {
        foreach (var node in _nodes)
        {
            if (node is not null)
                await node.DisposeAsync();
        }
    }

    private async Task StartNode(int i)
    {
        var name = $"n{i}-{Guid.NewGuid():N}"[..10];
        var node = await MigrationNode.Start(name, new OrchestratorOptions(name) { Migration = Settings });
        var relay = await node.System.ActorSelection(new RootActorPath(((ExtendedActorSystem)Sys).Provider.DefaultAddress) / "user" / "relay").ResolveOne(AskTimeout);
        node.Host.Tell(new HostLocal.FenceWith(relay));
        _nodes[i] = node;
    }

    private static VmSpec Spec(string name, bool neverAcks = false)
    {
        var devices = new List<DeviceSpec> { DefaultDevices.Ram(4L << 20) };
        if (neverAcks)
            devices.Add(DefaultDevices.Vfio(1L << 20, TimeSpan.FromHours(1)));
        return new VmSpec(name, devices, new WorkloadSpec(2L << 20));
    }

    [Fact]
    public async Task No_interleaving_of_faults_runs_a_vm_twice_loses_one_or_starts_a_corrupt_copy()
    {
        var outcomes = new Dictionary<string, int>();
        var lostWithOwner = 0;
        var generation = 0;
        var vm = $"vm{generation}";
        var holder = 0;
        Assert.Null((await _nodes[holder]!.Host.Ask<CommandResult>(new HostProtocol.CreateVm(Spec(vm)), AskTimeout)).Error);

        for (var i = 0; i < Migrations; i++)
        {
            var fault = (Fault)_random.Next(Enum.GetValues<Fault>().Length);
            var phase = Phases[_random.Next(Phases.Length)];
            var source = _nodes[holder]!;
            var destinationIndex = 1 - holder;
            var destination = _nodes[destinationIndex]!;
            var step = $"#{i} {vm} n{holder}->n{destinationIndex} fault {fault} at {phase}";

            _output.WriteLine(step);
            var subject = vm;
            if (fault == Fault.NeverAcks)
            {
                subject = $"stuck{i}";
                Assert.Null((await source.Host.Ask<CommandResult>(new HostProtocol.CreateVm(Spec(subject, neverAcks: true)), AskTimeout)).Error);
                await source.Host.Ask<object>(new HostProtocol.SetParameters(subject, [("switchover-ack-timeout", "200")]), AskTimeout);
            }
            _relay.Tell(fault switch
            {
                Fault.DropCommit => LedgerFault.DropCommit,
                Fault.DropCommitReply => LedgerFault.DropCommitReply,
                _ => LedgerFault.None,
            });
            Action? action = fault switch
            {
                Fault.LedgerUnreachable => () => _relay.Tell(LedgerFault.Blackhole),
                Fault.Cancel => () => source.Host.Tell(new HostProtocol.MigrateCancel(subject)),
                Fault.KillIncoming => () => destination.System.ActorSelection($"/user/{VmHost.Name}/incoming-*").Tell(PoisonPill.Instance),
                Fault.KillDestinationNode => () => destination.System.Terminate(),
                Fault.LedgerFailover => FailOverLedger,
                _ => null,
            };
            var injector = source.System.ActorOf(Props.Create(() => new Injector(subject, phase, action)));

            var started = await source.Host.Ask<object>(new HostProtocol.Migrate(subject, destination.Address), AskTimeout);
            Assert.True(started is HostProtocol.MigrationStarted, $"{step}: {started}");
            var info = await UntilEnded(source, subject, step, [source, destination]);
            source.System.Stop(injector);
            await _failover; // the migration may end without the ledger (after its commit); its successor is up before the checks
            _relay.Tell(LedgerFault.None);
            var killed = destination.System.WhenTerminated.IsCompleted;
            outcomes[$"{fault}: {info.Status.Name()}"] = outcomes.GetValueOrDefault($"{fault}: {info.Status.Name()}") + 1;

            // Digests: a completed migration's destination holds exactly what the source had at the stop.
            if (info.Status == MigrationStatus.Completed)
            {
                Assert.True(info.Verified, $"{step}: completed unverified");
                Assert.All(info.Devices, d => Assert.True(d.SourceDigest == d.DestinationDigest, $"{step}: {d.Name} digest mismatch"));
            }

            // Where is the VM now? One copy on a living node, or none if it was committed to a node that died.
            MigrationNode[] living = killed ? [source] : [source, destination];
            var copies = await Copies(subject, living);
            // The ledger is reachable again: a twin that waited for it is started or discarded soon. A twin
            // may outlive its source's resume by the time its Abort takes to arrive (it never started and,
            // with no commit recorded, never can); what must never be seen, at any poll, is two running copies.
            for (var wait = 0; wait < 100 && copies.Any(c => c.State == Incoming); wait++)
            {
                await Task.Delay(50);
                copies = await Copies(subject, living);
                Assert.True(copies.Count(c => c.State == VmStates.Running) <= 1, $"{step}: runs twice while a twin resolved ({info.ErrorDesc})");
            }
            Assert.True(copies.Count(c => c.State == VmStates.Running) <= 1, $"{step}: runs twice ({info.ErrorDesc})");
            var owner = await _ledger.Ask<OwnerOf>(new GetOwner(subject), AskTimeout);
            if (copies.Count == 0)
            {
                // Allowed only where the owner died: its node, or (like a QEMU crash there) the
                // destination's migration actor killed after the commit was recorded.
                var ownerDied = killed || fault == Fault.KillIncoming;
                Assert.True(ownerDied && owner.Owner == destination.Address.ToString(),
                    $"{step}: {subject} lost, though no host that owned it died ({info.Status.Name()}: {info.ErrorDesc})");
                lostWithOwner++;
            }
            else
            {
                Assert.True(copies.Count == 1, $"{step}: {copies.Count} copies of {subject}");
            }

            if (killed)
                await StartNode(destinationIndex);
            if (subject != vm)
            {
                // The never-acking VM is the test's own: it must have stayed home, running.
                Assert.Equal((MigrationStatus.Failed, VmStates.Running), (info.Status, Assert.Single(copies).State));
                await source.Host.Ask<CommandResult>(new HostProtocol.DeleteVm(subject), AskTimeout);
                continue;
            }
            if (copies.Count == 1 && copies[0].State == VmStates.Running)
            {
                holder = copies[0].Node == source ? holder : destinationIndex;
                continue;
            }
            // Lost with its host, or left paused because ownership could not be decided: carry on with a new VM.
            foreach (var copy in copies)
                await copy.Node.Host.Ask<CommandResult>(new HostProtocol.DeleteVm(subject), AskTimeout);
            vm = $"vm{++generation}";
            holder = _random.Next(2);
            Assert.Null((await _nodes[holder]!.Host.Ask<CommandResult>(new HostProtocol.CreateVm(Spec(vm)), AskTimeout)).Error);
        }

        foreach (var (outcome, count) in outcomes.OrderBy(o => o.Key))
            _output.WriteLine($"{count,4}  {outcome}");
        _output.WriteLine($"{lostWithOwner,4}  VMs lost with the owner that died after the commit; 0 lost otherwise, 0 run twice, 0 digest mismatches");
        Assert.True(outcomes.Where(o => o.Key.EndsWith("completed")).Sum(o => o.Value) > Migrations / 4, "too few migrations completed to mean anything");
    }

    private async Task<MigrationInfo> UntilEnded(MigrationNode source, string vm, string step, MigrationNode[] nodes)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            var reply = await source.Host.Ask<object>(new HostProtocol.QueryMigrate(vm), AskTimeout);
            var info = Assert.IsType<MigrationInfo>(reply);
            var live = nodes.Where(n => !n.System.WhenTerminated.IsCompleted).ToArray();
            var copies = await Copies(vm, live);
            Assert.True(copies.Count(c => c.State == VmStates.Running) <= 1, $"{step}: runs twice while {info.Status.Name()}");
            if (info.Status.IsTerminal())
                return info;
            Assert.True(DateTime.UtcNow < deadline, $"{step}: still {info.Status.Name()} after 60 s");
            await Task.Delay(15);
        }
    }

    private static async Task<List<(MigrationNode Node, string State)>> Copies(string vm, IEnumerable<MigrationNode> nodes)
    {
        var copies = new List<(MigrationNode, string)>();
        foreach (var node in nodes)
        {
            if (node.System.WhenTerminated.IsCompleted)
                continue;
            HostProtocol.VmList list;
            try
            {
                list = await node.Host.Ask<HostProtocol.VmList>(HostProtocol.ListVms.Instance, TimeSpan.FromSeconds(3));
            }
            catch (AskTimeoutException) when (node.System.WhenTerminated.IsCompleted)
            {
                continue; // killed while we asked: its copies died with it
            }
            copies.AddRange(list.Vms.Where(v => v.Name == vm && v.State != VmStates.Stopped).Select(v => (node, v.State)));
            // A verified twin waiting for the ledger's word is a copy too: paused, never run unasked.
            copies.AddRange(list.Incoming.Where(v => v == vm).Select(_ => (node, Incoming)));
        }
        return copies;
    }

    /// <summary>
    /// Like the ledger's node dying: the ledger stops at once (what was sent to it meanwhile is lost, as to a
    /// node that is gone), and a successor recovers the same journal after a failover's pause.
    /// </summary>
    private void FailOverLedger()
    {
        var dead = _ledger;
        var pause = TimeSpan.FromMilliseconds(_random.Next(200, 1500));
        var probe = CreateTestProbe();
        probe.Watch(dead);
        Sys.Stop(dead);
        _failover = Task.Run(async () =>
        {
            await probe.ExpectTerminatedAsync(dead, TimeSpan.FromSeconds(10));
            await Task.Delay(pause);
            var successor = Sys.ActorOf(OwnershipLedger.Props(), $"ownership-{Guid.NewGuid():N}");
            _ledger = successor;
            _relay.Tell(new LedgerRelay.Retarget(successor));
        });
    }

    /// <summary>Runs the fault when the VM's migration reaches the phase on its source.</summary>
    private sealed class Injector : ReceiveActor
    {
        public Injector(string vm, MigrationPhase phase, Action? fault)
        {
            Context.System.EventStream.Subscribe(Self, typeof(MigrationPhaseReached));
            Receive<MigrationPhaseReached>(reached =>
            {
                if (reached.Vm != vm || reached.Phase != phase || fault is null)
                    return;
                fault();
                fault = null;
            });
        }

        protected override void PostStop() => Context.System.EventStream.Unsubscribe(Self);
    }
}
