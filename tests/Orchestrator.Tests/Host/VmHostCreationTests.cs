using Akka.Actor;
using Akka.TestKit.Xunit2;
using Orchestrator.Actors.Host;
using Orchestrator.Actors.Migration;
using Orchestrator.Actors.Workflows;
using Orchestrator.Devices.Contract;
using Orchestrator.Devices.Machine;
using Xunit;

namespace Orchestrator.Tests.Host;

/// <summary>A new guest's memory is filled off the host actor's thread: the host answers meanwhile and holds the VM's name and bytes.</summary>
public sealed class VmHostCreationTests() : TestKit(TestSystem.Start())
{
    private static VmSpec Big(string name) => new(name, [DefaultDevices.Ram(1L << 30)], new WorkloadSpec(0));

    [Fact]
    public async Task The_host_answers_while_a_big_VM_is_filled_and_holds_its_name_and_capacity_meanwhile()
    {
        var host = Sys.ActorOf(VmHost.Props(MigrationSettings.Default, new HostIdentity("h1", Capacity: 3L << 29)));
        var creator = CreateTestProbe();
        host.Tell(new HostProtocol.CreateVm(Big("big"), 1), creator.Ref);

        // Asked after the create, answered before it: the fill (about 512 MiB of noise) runs off the actor's thread.
        var list = await host.Ask<HostProtocol.VmList>(HostProtocol.ListVms.Instance, TimeSpan.FromSeconds(5));
        Assert.Empty(list.Vms);
        creator.ExpectNoMsg(TimeSpan.Zero);
        var twin = await host.Ask<CommandResult>(new HostProtocol.CreateVm(Big("big"), 1), TimeSpan.FromSeconds(5));
        Assert.Equal("VM 'big' already exists on host h1", twin.Error);
        var other = await host.Ask<CommandResult>(new HostProtocol.CreateVm(Big("other"), 1), TimeSpan.FromSeconds(5));
        Assert.Equal($"Not enough free capacity on host h1: VM 'other' needs {1L << 30} bytes, {(3L << 29) - (1L << 30)} of {3L << 29} are free", other.Error);

        Assert.Null(creator.ExpectMsg<CommandResult>(TimeSpan.FromSeconds(30)).Error);
        var after = await host.Ask<HostProtocol.VmList>(HostProtocol.ListVms.Instance, TimeSpan.FromSeconds(5));
        Assert.Equal(("big", VmStates.Running), (Assert.Single(after.Vms).Name, after.Vms[0].State));
    }

    [Fact]
    public void The_hosts_bound_for_a_create_grows_with_the_VM()
    {
        Assert.Equal(TimeSpan.FromSeconds(6), VmCreation.CreateTimeout(new VmSpec("s", [DefaultDevices.Ram(8L << 20)], new WorkloadSpec(0))));
        Assert.Equal(TimeSpan.FromSeconds(21), VmCreation.CreateTimeout(new VmSpec("b", [DefaultDevices.Ram(4L << 30)], new WorkloadSpec(0))));
    }
}
