using Akka.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Orchestrator.Actors.Wiring;

/// <summary>A node without the HTTP API (the demo runs two, a drill one per host): a Generic Host running <see cref="OrchestratorWiring.WithOrchestrator"/>.</summary>
public sealed class MigrationNode : IAsyncDisposable
{
    private readonly IHost _host;

    private MigrationNode(IHost host)
    {
        _host = host;
        System = host.Services.GetRequiredService<ActorSystem>();
        Registry = ActorRegistry.For(System);
    }

    public ActorSystem System { get; }

    public ActorRegistry Registry { get; }

    /// <summary>The node's <see cref="HostProtocol"/> endpoint.</summary>
    public IActorRef Host => Registry.Get<VmHostKey>();

    /// <summary>The address other nodes migrate to.</summary>
    public Address Address => ((ExtendedActorSystem)System).Provider.DefaultAddress;

    /// <summary>Starts the node; returns once its actors run (a cluster member may not be Up yet).</summary>
    /// <param name="systemName">The ActorSystem's name: every member of one cluster has the same.</param>
    public static async Task<MigrationNode> Start(string systemName, OrchestratorOptions options, CancellationToken cancel = default)
    {
        var host = new HostBuilder()
            .ConfigureServices(services => services
                .AddSingleton<IHostLifetime, EmbeddedLifetime>()
                .AddAkka(systemName, akka => akka.WithOrchestrator(options)))
            .Build();
        await host.StartAsync(cancel);
        return new MigrationNode(host);
    }

    /// <summary>Stops the node through coordinated shutdown, unless its ActorSystem has already ended (a crash).</summary>
    public async ValueTask DisposeAsync()
    {
        if (!System.WhenTerminated.IsCompleted)
            await _host.StopAsync();
        _host.Dispose();
    }

    /// <summary>The process's signals belong to the command, not to each node it embeds.</summary>
    private sealed class EmbeddedLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
