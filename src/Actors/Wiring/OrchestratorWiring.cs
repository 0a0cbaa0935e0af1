using Akka.Cluster.Hosting;
using Akka.Cluster.Hosting.SBR;
using Akka.Configuration;
using Akka.Hosting;
using Akka.Persistence.Hosting;
using Akka.Persistence.Sql.Hosting;
using Akka.Remote.Hosting;
using Orchestrator.Actors.Faults;
using Orchestrator.Actors.Fencing;

namespace Orchestrator.Actors.Wiring;

/// <summary>The one way to wire a node: the node, the demo, drills and tests all call <see cref="WithOrchestrator"/>.</summary>
public static class OrchestratorWiring
{
    /// <summary>
    /// Remoting, clustering with the split-brain resolver, the fleet and ownership singletons (proxies <see cref="FleetKey"/>, <see cref="OwnershipKey"/>),
    /// the serializers, the fleet store, and the VM host (<see cref="VmHostKey"/>) fenced by the ledger and reporting to the fleet.
    /// </summary>
    public static AkkaConfigurationBuilder WithOrchestrator(this AkkaConfigurationBuilder akka, OrchestratorOptions options)
    {
        akka.AddHocon(Unexpressed(options), HoconAddMode.Prepend);
        akka.ConfigureLoggers(loggers =>
        {
            loggers.LogLevel = options.LogLevel;
            loggers.ClearLoggers();
            if (options.StandardErrorLog)
                loggers.AddLogger<StandardErrorLogger>();
            else
                loggers.AddLoggerFactory();
        });
        akka.WithOrchestratorRemoting(options.Remoting);
        akka.WithOrchestratorSerializers();
        akka.WithFleetStore(options.Store);
        if (options.Membership is { } membership)
        {
            akka.WithClustering(new ClusterOptions
            {
                SeedNodes = membership.Seeds.Select(s => s.ToString()).ToArray(),
                Roles = [HostRole.Of(options.Name)],
                FailureDetector = new PhiAccrualFailureDetectorOptions
                {
                    HeartbeatInterval = TimeSpan.FromSeconds(1),
                    AcceptableHeartbeatPause = membership.HeartbeatPause,
                },
                // Keep-majority downs a partition's minority after stable-after (DownAfter): a crashed host leaves on its own; docs/cluster.md.
                SplitBrainResolver = new KeepMajorityOption(),
            });
            // One fleet coordinator in the cluster, on the oldest node; every node reaches it through a proxy.
            akka.WithSingleton<FleetKey>("fleet", FleetCoordinator.Supervised(options.Fleet), new ClusterSingletonOptions(), createProxyToo: true);
            // Fencing: who owns each VM, apart from the coordinator so commits never queue behind fleet work.
            akka.WithSingleton<OwnershipKey>("ownership", OwnershipLedger.Supervised(), new ClusterSingletonOptions(), createProxyToo: true);
        }
        return akka.WithActors((system, registry) => StartHost(system, registry, options));
    }

    /// <summary>Akka.Remote as the data plane needs it: frames and socket buffers sized for chunks, no batching, lifecycle events unlogged.</summary>
    public static AkkaConfigurationBuilder WithOrchestratorRemoting(this AkkaConfigurationBuilder akka, RemotingOptions remoting) => akka
        .AddHocon(ConfigurationFactory.ParseString($$"""
            akka.remote {
              # Lifecycle events are still published (migrations watch them); only their logging is off.
              log-remote-lifecycle-events = off
              dot-netty.tcp {
                # Batching holds small writes up to its flush interval (40 ms): every credit would wait that long, and
                # stop-copy is a chain of credit round trips. Chunks are large enough to fill the socket without it.
                batching.enabled = false
                {{(remoting.Throttler ? "applied-adapters = [\"trttl\"]" : "")}}
              }
            }
            """), HoconAddMode.Prepend)
        .WithRemoting(new RemoteOptions
        {
            HostName = remoting.Hostname,
            Port = remoting.Port,
            MaxFrameSize = remoting.MaximumFrameSize,
            SendBufferSize = remoting.SocketBufferSize,
            ReceiveBufferSize = remoting.SocketBufferSize,
        });

    /// <summary>The wire and journal serializers, bound to their marker types; their identifiers are in the journals.</summary>
    public static AkkaConfigurationBuilder WithOrchestratorSerializers(this AkkaConfigurationBuilder akka) => akka
        .WithCustomSerializer("migration-wire", [typeof(IMigrationWire)], system => new MigrationWireSerializer(system))
        // It also reads the fleet journal entries of older builds (LegacyFleetJournal), by its identifier.
        .WithCustomSerializer("host-wire", [typeof(IHostWire)], system => new HostWireSerializer(system))
        .WithCustomSerializer("fleet-journal", [typeof(FleetEvents.IFleetEvent), typeof(FleetEvents.FleetSnapshot)], system => new FleetJournalSerializer(system));

    /// <summary>The journal and snapshot store of the fleet's singletons; the schema is created on start.</summary>
    public static AkkaConfigurationBuilder WithFleetStore(this AkkaConfigurationBuilder akka, FleetStoreOptions store) => store.Provider switch
    {
        FleetStoreProvider.InMemory => akka.WithInMemoryJournal().WithInMemorySnapshotStore(),
        // Linq2Db's provider names. A journal that cannot be read stops the singleton after 10 s (it backs off and
        // tries again), instead of Akka's 30 s with every command waiting.
        _ => akka
            .AddHocon("akka.persistence.journal.sql.recovery-event-timeout = 10s", HoconAddMode.Prepend)
            .WithSqlPersistence(store.ConnectionString, store.Provider == FleetStoreProvider.Sqlite ? "SQLite.MS" : "PostgreSQL.15", autoInitialize: true),
    };

    /// <summary>What Akka.Hosting has no option for, in one piece.</summary>
    private static Config Unexpressed(OrchestratorOptions options) => ConfigurationFactory.ParseString($$"""
        akka {
          # Nothing on stdout, even while the ActorSystem starts or stops.
          stdout-loglevel = OFF
          cluster.split-brain-resolver.stable-after = {{(long)(options.Membership?.DownAfter ?? MembershipOptions.DefaultDownAfter).TotalMilliseconds}}ms
          coordinated-shutdown.run-by-actor-system-terminate = {{(options.Membership?.ShutdownOnTerminate ?? true ? "on" : "off")}}
        }
        """);

    private static void StartHost(ActorSystem system, IActorRegistry registry, OrchestratorOptions options)
    {
        var corruption = options.FaultInjection ? new IncomingCorruption(system.Log) : null;
        var host = system.ActorOf(VmHost.Props(options.Migration, new HostIdentity(options.Name, options.Capacity), options.IncomingCapabilities,
            corruption is null ? options.DecorateLoads : corruption.Decorate, options.IncomingParameters), VmHost.Name);
        registry.Register<VmHostKey>(host);
        if (corruption is not null)
        {
            system.Log.Warning("Fault injection is ENABLED on this node (Faults:Enabled): for drills only, never in production");
            registry.Register<FaultsKey>(system.ActorOf(FaultInjector.Props(corruption), FaultsProtocol.Name));
        }
        if (options.Membership is not null)
        {
            host.Tell(new HostLocal.FenceWith(registry.Get<OwnershipKey>()));
            host.Tell(new HostLocal.ReportTo(registry.Get<FleetKey>()));
        }
        // A stopping node leaves no VM half-migrated: outgoing migrations are cancelled, their VMs stay here; the host logs which.
        CoordinatedShutdown.Get(system).AddTask(CoordinatedShutdown.PhaseBeforeServiceUnbind, "cancel-outgoing-migrations", async () =>
        {
            try
            {
                await host.Ask<Akka.Done>(HostLocal.CancelOutgoing.Instance, TimeSpan.FromSeconds(15));
            }
            catch (AskTimeoutException)
            {
                system.Log.Warning("Outgoing migrations did not end within 15 s of the cancel");
            }
            return Akka.Done.Instance;
        });
    }
}
