using Akka.Actor;
using Akka.Cluster.Tools.Singleton;
using Akka.Configuration;
using Orchestrator.Actors.Fleet;

namespace Orchestrator.Drills.InProcess;

/// <summary>
/// The fleet coordinator as a cluster singleton, started the way a node starts it (manager on every
/// node, a proxy to reach it). The one place to change when the coordinator's creation changes
/// (e.g. once it persists its state and needs a journal).
/// </summary>
internal static class FleetSingleton
{
    public const string ManagerName = "fleet";

    /// <summary>Configuration the singleton needs on every node.</summary>
    public static Config Config => ClusterSingleton.DefaultConfig();

    /// <summary>Starts this node's singleton manager and returns its proxy to the coordinator.</summary>
    public static IActorRef Start(ActorSystem system, FleetProtocol.Settings settings)
    {
        system.ActorOf(ClusterSingletonManager.Props(
            FleetCoordinator.Props(settings),
            PoisonPill.Instance,
            ClusterSingletonManagerSettings.Create(system)), ManagerName);
        return system.ActorOf(ClusterSingletonProxy.Props(
            $"/user/{ManagerName}",
            ClusterSingletonProxySettings.Create(system)), $"{ManagerName}-proxy");
    }
}
