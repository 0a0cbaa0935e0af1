using Akka.Actor;
using Akka.Cluster.Hosting;
using Akka.Event;
using Akka.Cluster.Hosting.SBR;
using Akka.Hosting;
using Orchestrator.Actors.Faults;
using Orchestrator.Actors.Fencing;
using Orchestrator.Actors.Fleet;
using Orchestrator.Actors.Host;
using Orchestrator.Actors.Hosting;
using Orchestrator.Actors.Migration;

namespace Orchestrator.Node;

/// <summary>Registry key for a node's VM host actor.</summary>
public sealed class VmHostKey;

/// <summary>Registry key for the proxy to the fleet coordinator singleton.</summary>
public sealed class FleetKey;

/// <summary>Registry key for the proxy to the ownership ledger singleton (fencing).</summary>
public sealed class OwnershipKey;

/// <summary>Registry key for the test-only fault injector; registered only when faults are enabled.</summary>
public sealed class FaultsKey;

/// <summary>A node's Akka setup in one extension method: remoting, cluster membership, logging, its VM host.</summary>
public static class MigrationHostingExtensions
{
    public static AkkaConfigurationBuilder WithMigration(this AkkaConfigurationBuilder akka, NodeSettings node, MigrationSettings? settings = null)
    {
        var remoting = new RemotingOptions(node.Hostname, node.Port, LogLevel: "INFO", Cluster: true, StandardErrorLog: false,
            HeartbeatPause: node.Failure?.HeartbeatPause, DownAfter: node.Failure?.DownAfter);
        akka.AddHocon(remoting.ToConfig(), HoconAddMode.Prepend);
        akka.AddHocon(node.Store.ToConfig(), HoconAddMode.Prepend);
        akka.ConfigureLoggers(loggers =>
        {
            loggers.ClearLoggers();
            loggers.AddLoggerFactory();
        });
        akka.WithClustering(new ClusterOptions
        {
            SeedNodes = node.Seeds.Select(s => s.ToString()).ToArray(),
            Roles = [node.Role],
            // Keep-majority downs the minority side of a partition after stable-after (Cluster:DownAfter,
            // 15 s), so a crashed host leaves the cluster on its own; docs/cluster.md.
            SplitBrainResolver = new KeepMajorityOption(),
        });
        // One fleet coordinator in the cluster, on the oldest node; every node reaches it through a proxy.
        akka.WithSingleton<FleetKey>("fleet", FleetCoordinator.Supervised(node.Fleet), new ClusterSingletonOptions(), createProxyToo: true);
        // Fencing: who owns each VM, apart from the coordinator so commits never queue behind fleet work.
        akka.WithSingleton<OwnershipKey>("ownership", OwnershipLedger.Supervised(), new ClusterSingletonOptions(), createProxyToo: true);
        akka.WithActors((system, registry) =>
        {
            // TEST-ONLY: drills across processes kill nodes at a migration phase and corrupt copies (docs/drills.md, --netns).
            var corruption = node.FaultsEnabled ? new IncomingCorruption(system.Log) : null;
            var host = MigrationNode.SpawnHost(system, settings, node.Name, node.Capacity, node.Capabilities, corruption is null ? null : corruption.Decorate);
            registry.Register<VmHostKey>(host);
            if (corruption is not null)
            {
                system.Log.Warning("Fault injection is ENABLED on this node (Faults:Enabled): for drills only, never in production");
                registry.Register<FaultsKey>(system.ActorOf(FaultInjector.Props(corruption), FaultsProtocol.Name));
            }
            host.Tell(new HostLocal.FenceWith(registry.Get<OwnershipKey>()));
            host.Tell(new HostLocal.ReportTo(registry.Get<FleetKey>()));
            // A node asked to stop lets no VM leave half-migrated: outgoing migrations are cancelled
            // and their VMs stay here; the host logs which.
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
        });
        return akka;
    }
}
