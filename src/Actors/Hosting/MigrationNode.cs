using Akka.Actor;
using Akka.Configuration;
using Orchestrator.Actors.Host;
using Orchestrator.Actors.Incoming;
using Orchestrator.Actors.Migration;

namespace Orchestrator.Actors.Hosting;

/// <summary>A node: one ActorSystem with remoting and its VM host. The demo runs two in one process.</summary>
public sealed class MigrationNode : IAsyncDisposable
{
    private readonly bool _ownsSystem;

    private MigrationNode(ActorSystem system, IActorRef host, bool ownsSystem)
    {
        System = system;
        Host = host;
        _ownsSystem = ownsSystem;
    }

    public ActorSystem System { get; }

    /// <summary>The node's <see cref="HostProtocol"/> endpoint.</summary>
    public IActorRef Host { get; }

    /// <summary>The address other nodes migrate to.</summary>
    public Address Address => ((ExtendedActorSystem)System).Provider.DefaultAddress;

    public static MigrationNode Start(string name, RemotingOptions? remoting = null, MigrationSettings? settings = null, Config? extra = null,
        IncomingLoadDecorator? decorateLoads = null)
    {
        var config = (remoting ?? new RemotingOptions()).ToConfig();
        if (extra is not null)
            config = extra.WithFallback(config);
        var system = ActorSystem.Create(name, config);
        return new MigrationNode(system, SpawnHost(system, settings, name, decorateLoads: decorateLoads), ownsSystem: true);
    }

    /// <summary>A node on an ActorSystem made elsewhere (a TestKit's), configured with <see cref="MigrationConfig.ToConfig"/>.</summary>
    public static MigrationNode Attach(ActorSystem system, MigrationSettings? settings = null) =>
        new(system, SpawnHost(system, settings, system.Name), ownsSystem: false);

    /// <summary>The VM host of a node, at its well-known path.</summary>
    /// <param name="decorateLoads">Only with fault injection enabled: wraps what incoming migrations load.</param>
    public static IActorRef SpawnHost(ActorSystem system, MigrationSettings? settings, string name,
        long capacity = long.MaxValue, MigrationCapabilities? incomingCapabilities = null, IncomingLoadDecorator? decorateLoads = null) =>
        system.ActorOf(VmHost.Props(settings ?? MigrationSettings.Default, new HostIdentity(name, capacity), incomingCapabilities, decorateLoads), VmHost.Name);

    /// <summary>Where a node's VM host lives.</summary>
    public static ActorPath HostPath(Address node) => new RootActorPath(node) / "user" / VmHost.Name;

    public async ValueTask DisposeAsync()
    {
        if (_ownsSystem)
            await System.Terminate();
        else
            await Host.GracefulStop(TimeSpan.FromSeconds(5));
    }
}
