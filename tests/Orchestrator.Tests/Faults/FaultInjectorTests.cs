using Akka.Actor;
using Akka.TestKit.Xunit2;
using Orchestrator.Actors.Faults;
using Orchestrator.Actors.Hosting;
using Orchestrator.Actors.Migration;
using Orchestrator.Actors.Wire;
using Xunit;

namespace Orchestrator.Tests.Faults;

/// <summary>The test-only fault hook of a node (drills with --netns), with a stand-in for SIGKILL.</summary>
public sealed class FaultInjectorTests() : TestKit(new RemotingOptions().ToConfig())
{
    private Address Self => ((ExtendedActorSystem)Sys).Provider.DefaultAddress;

    private (IActorRef Injector, TaskCompletionSource Died) Spawn()
    {
        var died = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var injector = Sys.ActorOf(FaultInjector.Props(() => died.TrySetResult()), FaultsProtocol.Name);
        return (injector, died);
    }

    private void Publish(string vm, MigrationPhase phase) =>
        Sys.EventStream.Publish(new MigrationPhaseReached(MigrationId.New(), vm, phase, Self));

    [Fact]
    public async Task A_kill_armed_for_this_node_fires_at_the_phase_and_only_once()
    {
        var (injector, died) = Spawn();
        await injector.Ask<FaultsProtocol.Armed>(new FaultsProtocol.KillAt("web", MigrationPhase.StopCopy, Self), TimeSpan.FromSeconds(3));

        Publish("web", MigrationPhase.Precopy);
        Publish("db", MigrationPhase.StopCopy);
        Assert.False(died.Task.IsCompleted);

        Publish("web", MigrationPhase.StopCopy);
        await died.Task.WaitAsync(TimeSpan.FromSeconds(3));
    }

    [Fact]
    public async Task An_order_to_die_is_obeyed()
    {
        var (injector, died) = Spawn();
        injector.Tell(new FaultsProtocol.Die("test"));
        await died.Task.WaitAsync(TimeSpan.FromSeconds(3));
    }

    [Fact]
    public void The_order_to_die_crosses_nodes_on_the_host_wire_allow_list()
    {
        var order = new FaultsProtocol.Die("web's migration reached stop-copy");
        var serializer = Assert.IsType<HostWireSerializer>(Sys.Serialization.FindSerializerFor(order));

        Assert.Equal(order, serializer.FromBinary(serializer.ToBinary(order), serializer.Manifest(order)));
    }
}
