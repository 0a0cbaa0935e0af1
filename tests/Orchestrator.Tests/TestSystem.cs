using Akka.Actor;
using Akka.Hosting;
using Akka.TestKit.Xunit2;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orchestrator.Actors.Host;
using Orchestrator.Actors.Migration;
using Orchestrator.Actors.Wiring;

namespace Orchestrator.Tests;

/// <summary>
/// A plain TestKit's own ActorSystem, wired by the node's own pieces (<see cref="OrchestratorWiring"/>: remoting on
/// loopback, the serializers, the fleet store) without the node's actors: unit tests build the actors they test on
/// it. A test that needs a whole node starts one with <see cref="MigrationNode.Start"/>.
/// </summary>
internal static class TestSystem
{
    public static ActorSystem Start(string name = "test", FleetStoreOptions? store = null, bool cluster = false)
    {
        var host = new HostBuilder()
            .ConfigureServices(services => services
                .AddSingleton<IHostLifetime, NoSignals>()
                .AddAkka(name, akka =>
                {
                    akka.AddHocon("akka { loglevel = WARNING, stdout-loglevel = OFF }", HoconAddMode.Prepend);
                    akka.AddHocon(TestKit.DefaultConfig, HoconAddMode.Append);
                    akka.WithOrchestratorRemoting(new RemotingOptions());
                    akka.WithOrchestratorSerializers();
                    akka.WithFleetStore(store ?? FleetStoreOptions.InMemory);
                    if (cluster)
                        akka.WithActorRefProvider(ProviderSelection.Cluster.Instance);
                }))
            .Build();
        // Before the TestKit's constructor runs, so synchronously: the ActorSystem is made on this thread.
        host.StartAsync().GetAwaiter().GetResult();
        var system = host.Services.GetRequiredService<ActorSystem>();
        // The TestKit terminates the system at the end of a test; the host that made it goes with it.
        system.WhenTerminated.ContinueWith(_ => host.Dispose(), TaskScheduler.Default);
        return system;
    }

    /// <summary>A VM host on a TestKit's system, at its well-known path.</summary>
    public static IActorRef SpawnHost(ActorSystem system, MigrationSettings settings) =>
        system.ActorOf(VmHost.Props(settings, new HostIdentity(system.Name)), VmHost.Name);

    /// <summary>The test process's signals belong to the test runner.</summary>
    private sealed class NoSignals : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
