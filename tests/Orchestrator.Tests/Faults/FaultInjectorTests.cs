using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Akka.Actor;
using Akka.TestKit.Xunit2;
using Orchestrator.Actors.Faults;
using Orchestrator.Actors.Migration;
using Orchestrator.Actors.Wire;
using Orchestrator.Actors.Wiring;
using Orchestrator.Devices.Machine;
using Xunit;

namespace Orchestrator.Tests.Faults;

/// <summary>The test-only fault hook of a node (drills with --netns), with a stand-in for SIGKILL.</summary>
public sealed class FaultInjectorTests() : TestKit(TestSystem.Start())
{
    private Address Self => ((ExtendedActorSystem)Sys).Provider.DefaultAddress;

    private (IActorRef Injector, TaskCompletionSource Died) Spawn()
    {
        var died = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var injector = Sys.ActorOf(FaultInjector.Props(new IncomingCorruption(Sys.Log), () => died.TrySetResult()), FaultsProtocol.Name);
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
    public async Task A_kill_of_another_node_never_holds_the_migration_thread_that_reached_the_phase()
    {
        // A "victim" that accepts connections and never dies: waiting for it to go would take the whole 3 s.
        using var victim = new TcpListener(IPAddress.Loopback, 0);
        victim.Start();
        var address = new Address("akka.tcp", Sys.Name, "127.0.0.1", ((IPEndPoint)victim.LocalEndpoint).Port);
        var (injector, died) = Spawn();
        await injector.Ask<FaultsProtocol.Armed>(new FaultsProtocol.KillAt("web", MigrationPhase.StopCopy, address), TimeSpan.FromSeconds(3));

        var publishing = Stopwatch.StartNew();
        Publish("web", MigrationPhase.StopCopy);

        Assert.True(publishing.Elapsed < TimeSpan.FromSeconds(1), $"the phase's publisher was held {publishing.ElapsedMilliseconds} ms");
        Assert.False(died.Task.IsCompleted);
    }

    [Fact]
    public async Task A_corruption_armed_here_decorates_the_ram_of_the_vms_next_incoming_copy_only()
    {
        var corruption = new IncomingCorruption(Sys.Log);
        var injector = Sys.ActorOf(FaultInjector.Props(corruption, () => { }));
        await injector.Ask<FaultsProtocol.CorruptionArmed>(new FaultsProtocol.CorruptNextIncoming("web"), TimeSpan.FromSeconds(3));
        var spec = new VmSpec("web", [DefaultDevices.Ram(1L << 20), DefaultDevices.Vgpu(1L << 20)], new WorkloadSpec(0));
        using var first = VirtualMachine.CreateIncoming(spec);
        using var second = VirtualMachine.CreateIncoming(spec);

        Assert.Same(first.Devices[1], corruption.Decorate(spec, first.Devices[1]));
        Assert.NotSame(first.Devices[0], corruption.Decorate(spec, first.Devices[0]));
        Assert.Same(second.Devices[0], corruption.Decorate(spec, second.Devices[0]));
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
