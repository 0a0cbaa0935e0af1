using Akka.Cluster;
using Akka.Remote;
using Akka.Remote.Transport;
using Orchestrator.Actors.Faults;
using Orchestrator.Actors.Fencing;
using Orchestrator.Actors.Fleet;
using Orchestrator.Actors.Wiring;
using Orchestrator.Actors.Workflows;

namespace Orchestrator.Drills.InProcess;

/// <summary>An ActorSystem per host on 127.0.0.1, wired as a node is; kill is a crash, partition a <c>trttl</c> blackhole (drops all both ways).</summary>
/// <param name="nodes">Filled by <see cref="Start"/>, host by host.</param>
internal sealed class InProcessCluster(List<DrillNode> nodes, DrillOptions options) : IDrillCluster
{
    /// <summary>Cluster members share one ActorSystem name.</summary>
    public const string SystemName = "drill";

    /// <summary>The fleet's journal: one SQLite file the nodes share, removed with the cluster.</summary>
    private readonly string _storeDirectory = Directory.CreateTempSubdirectory("orchestrator-drill-").FullName;

    private DrillNode this[string host] => nodes.First(n => n.Name == host);

    private DrillNode? ByAddress(Address address) => nodes.FirstOrDefault(n => n.Address.Equals(address));

    public static async Task<InProcessCluster> Start(IReadOnlyList<HostDefinition> hosts, DrillOptions options, CancellationToken cancel)
    {
        var nodes = new List<DrillNode>();
        var cluster = new InProcessCluster(nodes, options);
        try
        {
            foreach (var host in hosts)
            {
                var node = await MigrationNode.Start(SystemName, new OrchestratorOptions(host.Name)
                {
                    Remoting = new RemotingOptions(Throttler: true),
                    Membership = new MembershipOptions([], options.FailureDetectorPause, options.DownAfter, ShutdownOnTerminate: false),
                    Store = FleetStoreOptions.Sqlite(cluster._storeDirectory),
                    Fleet = options.Fleet,
                    Migration = options.Migration,
                    Capacity = host.Capacity,
                    FaultInjection = true,
                    LogLevel = options.AkkaLogLevel,
                }, cancel);
                nodes.Add(new DrillNode(host.Name, node));
            }
            // Host 1 joins itself first, so it is the oldest member and the fleet's singletons land there.
            var seed = nodes[0].Address;
            foreach (var node in nodes)
                Cluster.Get(node.System).Join(seed);
            var within = options.StartTimeout.TotalSeconds;
            await Until(() => Task.FromResult(nodes.All(n => Cluster.Get(n.System).State.Members.Count(m => m.Status == MemberStatus.Up) == nodes.Count)),
                $"gave up waiting for every host to be Up in the cluster after {within:0} s", options.StartTimeout, cancel);
            await Until(async () => await TryAsk<FleetProtocol.Permits>(nodes[0].Fleet, FleetProtocol.GetPermits.Instance, TimeSpan.FromSeconds(1)) is not null,
                $"the fleet coordinator did not answer within {within:0} s of the cluster forming", options.StartTimeout, cancel);
            foreach (var node in nodes)
                _ = node.System.WhenTerminated.ContinueWith(_ => node.End(NodeFate.Died), TaskScheduler.Default);
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    public IActorRef Fleet => nodes.FirstOrDefault(n => n.Alive)?.Fleet ?? throw new InvalidOperationException("no host is alive");

    public async ValueTask DisposeAsync()
    {
        // All at once: each is already stopping when the others' links drop.
        await Task.WhenAll(nodes.Select(async n =>
        {
            n.End(NodeFate.Killed);
            try
            {
                await n.System.Terminate().WaitAsync(TimeSpan.FromSeconds(10));
                await n.Node.DisposeAsync();
            }
            catch (TimeoutException)
            {
                // Bounded: a system that will not stop is left to the process's exit.
            }
        }));
        try
        {
            Directory.Delete(_storeDirectory, recursive: true);
        }
        catch (IOException)
        {
            // A file still open by a system that would not stop: the temp directory keeps it.
        }
    }

    // ---- IDrillCluster ------------------------------------------------------------------------

    public IReadOnlyList<string> Hosts => nodes.Select(n => n.Name).ToArray();

    public NodeFate Fate(string host) => this[host].Fate;

    public string? HostAt(Address address) => ByAddress(address)?.Name;

    public async Task<string?> CreateVm(VmDefinition vm)
    {
        // The path every engine takes: the ledger records the VM at its first epoch, as through the API.
        var spec = vm.ToSpec();
        var created = await Ask(this[vm.Host].Host, new CreationProtocol.Create(spec, vm.Host), CreationProtocol.BoundFor(spec));
        return created is CreationProtocol.Created ? null : (created as CommandResult)?.Error ?? "no answer";
    }

    public async Task<DrillAdmission> Migrate(MigrateStep step)
    {
        var admitted = await FleetCommand<FleetProtocol.MigrationAdmitted>(
            new FleetProtocol.RequestMigration(step.Vm, step.To, step.SourceCapabilities, step.Parameters.ToArray()));
        return new DrillAdmission(admitted.Id, admitted.Source, admitted.Status.Name());
    }

    /// <summary>Asked of the host's own VM host actor, as <c>migrate-set-capabilities --host</c> and <c>migrate-set-parameters --host</c> are.</summary>
    public async Task<DrillIncoming> SetIncoming(string host, IReadOnlyList<(string Name, bool On)> capabilities, IReadOnlyList<(string Name, string Value)> parameters)
    {
        var vmHost = this[host].Host;
        MigrationCapabilities? caps = null;
        int? channels = null;
        if (capabilities.Count > 0)
            caps = (await HostCommand<HostProtocol.IncomingCapabilitiesOf>(host, vmHost, new HostProtocol.ChangeIncomingCapabilities(capabilities), "migrate-set-capabilities")).Capabilities;
        if (parameters.Count > 0)
            channels = (await HostCommand<HostProtocol.IncomingParametersOf>(host, vmHost, new HostProtocol.ChangeIncomingParameters(parameters), "migrate-set-parameters")).Parameters.MultifdChannels;
        return new DrillIncoming(caps, channels);
    }

    public async Task<DrillEvacuation> Evacuate(string host)
    {
        var started = await FleetCommand<FleetProtocol.EvacuationStarted>(new FleetProtocol.Evacuate(host));
        return new DrillEvacuation(started.Moves.Select(m => (m.Vm, m.To)).ToArray(), started.Unplaceable.Select(u => (u.Vm, u.Reason)).ToArray());
    }

    public Task Corrupt(string vm) =>
        Task.WhenAll(nodes.Where(n => n.Alive).Select(n => n.Faults.Ask<FaultsProtocol.CorruptionArmed>(new FaultsProtocol.CorruptNextIncoming(vm), options.AskTimeout)));

    /// <summary>
    /// A crash: every link blackholed on its side at once (nothing said while dying gets out), then the system aborted without coordinated
    /// shutdown, so no migration is cancelled and no leave announced. Synchronous and bounded, so it can run inside a phase callback.
    /// </summary>
    public Task Kill(string host)
    {
        var victim = this[host];
        if (victim.End(NodeFate.Killed))
        {
            var cut = nodes.Where(n => n != victim).Select(n => Throttle(victim.System, n.Address, Blackhole.Instance)).ToArray();
            Task.WaitAll(cut, options.AskTimeout);
            ((ExtendedActorSystem)victim.System).Abort();
        }
        return Task.CompletedTask;
    }

    public async Task Link(LinkStep step)
    {
        ThrottleMode mode = step switch
        {
            PartitionStep => Blackhole.Instance,
            HealStep => Unthrottled.Instance,
            SlowLinkStep => throw new DrillStepException("the in-process engine cannot slow a link (it needs network namespaces: --netns)"),
            _ => throw new DrillStepException("the in-process engine has no slow link to clear (it needs network namespaces: --netns)"),
        };
        var (a, b, what) = (this[step.A], this[step.B], step is PartitionStep ? "cut" : "healed");
        try
        {
            await Task.WhenAll(Throttle(a.System, b.Address, mode), Throttle(b.System, a.Address, mode)).WaitAsync(options.AskTimeout);
        }
        catch (TimeoutException)
        {
            throw new DrillStepException($"the link was not {what}: the throttler did not answer");
        }
        catch (Akka.Remote.RemoteTransportException e)
        {
            // The node's remoting stopped under us: the cluster downed it, or it is shutting down.
            throw new DrillStepException($"the link was not {what}: {e.Message}");
        }
    }

    public Task<HostProtocol.VmList?> ListVms(string host) => TryAsk<HostProtocol.VmList>(this[host].Host, HostProtocol.ListVms.Instance, options.AskTimeout);

    public Task<object?> QueryMigrate(string host, string vm) => TryAsk<object>(this[host].Host, new HostProtocol.QueryMigrate(vm), options.AskTimeout);

    public async Task<string?> LedgerOwner(string vm)
    {
        // Null when the ledger is moving or unreachable.
        var owner = nodes.FirstOrDefault(n => n.Alive) is { } living
            ? await TryAsk<OwnershipProtocol.OwnerOf>(living.Ledger, new OwnershipProtocol.GetOwner(vm), options.AskTimeout)
            : null;
        return owner?.Owner is { } address ? ByAddress(Address.Parse(address))?.Name : null;
    }

    public void WatchPhases(Action<string, MigrationPhaseReached> onPhase)
    {
        foreach (var node in nodes)
            PhaseTap.Attach(node.System, reached => onPhase(node.Name, reached));
    }

    public bool SeesPhases => true;

    public Task ArmKillAt(KillStep kill, string source) => Task.CompletedTask; // the phase tap kills

    public bool KilledAtPhase(KillStep kill) => false;

    public Task<IReadOnlyList<DrillMigrationSeen>> Migrations() => Task.FromResult<IReadOnlyList<DrillMigrationSeen>>([]);

    /// <summary><paramref name="from"/>'s side of its link to <paramref name="to"/>, both directions.</summary>
    private static Task<bool> Throttle(ActorSystem from, Address to, ThrottleMode mode) =>
        ((RemoteActorRefProvider)((ExtendedActorSystem)from).Provider).Transport.ManagementCommand(new SetThrottle(to, ThrottleTransportAdapter.Direction.Both, mode));

    /// <summary>The fleet coordinator's answer of type <typeparamref name="T"/>, or its refusal as a <see cref="DrillStepException"/>.</summary>
    private async Task<T> FleetCommand<T>(object command) where T : class
    {
        var reply = await Ask(Fleet, command, options.FleetAskTimeout);
        return reply as T ?? throw new DrillStepException(reply switch
        {
            CommandResult { Error: { } error } => error,
            null => $"the fleet coordinator did not answer within {options.FleetAskTimeout.TotalSeconds:0} s",
            _ => $"the fleet coordinator answered {reply.GetType().Name}",
        });
    }

    /// <summary>The host's answer of type <typeparamref name="T"/> to <paramref name="command"/> (named <paramref name="what"/>), or its refusal as a <see cref="DrillStepException"/>.</summary>
    private async Task<T> HostCommand<T>(string host, IActorRef vmHost, object command, string what) where T : class
    {
        var reply = await Ask(vmHost, command, options.AskTimeout);
        return reply as T ?? throw new DrillStepException(reply switch
        {
            CommandResult { Error: { } error } => $"{host} refused {what}: {error}",
            null => $"{host} did not answer {what} within {options.AskTimeout.TotalSeconds:0.#} s",
            _ => $"{host} answered {what} with {reply.GetType().Name}",
        });
    }

    private static async Task<object?> Ask(IActorRef target, object message, TimeSpan timeout)
    {
        try
        {
            return await target.Ask<object>(message, timeout);
        }
        catch (AskTimeoutException)
        {
            return null;
        }
    }

    private static async Task<T?> TryAsk<T>(IActorRef target, object message, TimeSpan timeout) where T : class
    {
        try
        {
            return await target.Ask<T>(message, timeout);
        }
        catch (Exception)
        {
            return null; // no answer, a dead system or an unexpected reply: all mean "not known now"
        }
    }

    private static async Task Until(Func<Task<bool>> condition, string failure, TimeSpan within, CancellationToken cancel)
    {
        var deadline = DateTime.UtcNow + within;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException(failure);
            await Task.Delay(50, cancel);
        }
    }
}
