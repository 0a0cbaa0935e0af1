using Akka.Actor;
using Akka.Cluster.Tools.Singleton;
using Akka.Configuration;
using Orchestrator.Actors.Fencing;
using Orchestrator.Actors.Fleet;
using Orchestrator.Actors.Host;
using Orchestrator.Actors.Hosting;

namespace Orchestrator.Drills.InProcess;

/// <summary>
/// The fleet's two singletons, started the way a node starts them (a manager on every node, a proxy to
/// reach each): the fleet coordinator and the ownership ledger that fences commits. Both journal to one
/// store shared by the drill's nodes, so a singleton that moves recovers what its predecessor wrote.
/// </summary>
internal static class FleetSingleton
{
    public const string ManagerName = "fleet";
    public const string LedgerName = "ownership";

    /// <summary>Configuration the singletons need on every node.</summary>
    public static Config Config(FleetStoreOptions store) => store.ToConfig().WithFallback(ClusterSingleton.DefaultConfig());

    /// <summary>Starts this node's singleton managers, points its VM host at the ledger, and returns the proxy to the coordinator.</summary>
    public static IActorRef Start(ActorSystem system, IActorRef vmHost, FleetProtocol.Settings settings)
    {
        system.ActorOf(ClusterSingletonManager.Props(
            OwnershipLedger.Supervised(),
            PoisonPill.Instance,
            ClusterSingletonManagerSettings.Create(system)), LedgerName);
        var ledger = system.ActorOf(ClusterSingletonProxy.Props(
            $"/user/{LedgerName}",
            ClusterSingletonProxySettings.Create(system)), $"{LedgerName}-proxy");
        vmHost.Tell(new HostLocal.FenceWith(ledger));
        system.ActorOf(ClusterSingletonManager.Props(
            FleetCoordinator.Supervised(settings),
            PoisonPill.Instance,
            ClusterSingletonManagerSettings.Create(system)), ManagerName);
        var fleet = system.ActorOf(ClusterSingletonProxy.Props(
            $"/user/{ManagerName}",
            ClusterSingletonProxySettings.Create(system)), $"{ManagerName}-proxy");
        vmHost.Tell(new HostLocal.ReportTo(fleet));
        return fleet;
    }
}
