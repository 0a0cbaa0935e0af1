using Akka.Actor;
using Orchestrator.Actors.Host;
using Orchestrator.Actors.Incoming;
using Orchestrator.Actors.Migration;
using Orchestrator.Actors.Wiring;
using Xunit;
using Xunit.Abstractions;

namespace Orchestrator.Tests.Migration;

/// <summary>Every way a migration can end short of completion leaves the source VM running and the destination empty.</summary>
public sealed class CancelAndFailureTests(ITestOutputHelper output) : TwoNodeTestKit(output)
{
    [Fact]
    public async Task Cancel_in_setup_ends_cancelled_with_the_source_running()
    {
        // A node with no VM host never answers Prepare, so the migration stays in setup.
        await using var silent = await MigrationNode.Start("silent", new OrchestratorOptions("silent"));
        await silent.Host.GracefulStop(TimeSpan.FromSeconds(5));
        await Create(SmallVm());
        var reply = await Source.Host.Ask<object>(new HostProtocol.Migrate(Vm, silent.Address), AskTimeout);
        Assert.IsType<HostProtocol.MigrationStarted>(reply);
        Assert.Equal(MigrationStatus.Setup, (await Query()).Status);

        Source.Host.Tell(new HostProtocol.MigrateCancel(Vm));
        var info = await UntilEnded();

        Assert.Equal(MigrationStatus.Cancelled, info.Status);
        Assert.Equal(VmStates.Running, info.SourceVm);
        Assert.Equal(VmStates.Running, Assert.Single(await Vms(Source)).State);
    }

    [Fact]
    public async Task Setup_that_gets_no_answer_fails_within_its_bound()
    {
        await using var silent = await MigrationNode.Start("silent", new OrchestratorOptions("silent"));
        await silent.Host.GracefulStop(TimeSpan.FromSeconds(5));
        await Create(SmallVm());
        await Source.Host.Ask<object>(new HostProtocol.Migrate(Vm, silent.Address), AskTimeout);

        var info = await UntilEnded(TimeSpan.FromSeconds(30));

        Assert.Equal(MigrationStatus.Failed, info.Status);
        Assert.Contains("did not answer setup within 10 s", info.ErrorDesc);
        Assert.Equal(VmStates.Running, info.SourceVm);
    }

    [Fact]
    public async Task Cancel_while_active_ends_cancelled_with_the_source_running_and_the_destination_empty()
    {
        await Create(SmallVm(ram: 64L << 20));
        await SetParameters(("max-bandwidth", (8L << 20).ToString()));
        await Migrate();
        await UntilStatus(MigrationStatus.Active);

        Source.Host.Tell(new HostProtocol.MigrateCancel(Vm));
        var info = await UntilEnded();

        Assert.Equal(MigrationStatus.Cancelled, info.Status);
        Assert.Equal(0, info.CpuThrottlePercentage);
        await AssertRolledBack(info);
    }

    [Fact]
    public async Task Cancel_in_pre_switchover_restarts_the_stopped_source()
    {
        await Create(SmallVm());
        await SetCapabilities("return-path,switchover-ack,pause-before-switchover");
        await Migrate();
        Assert.Equal(VmStates.Paused, (await UntilStatus(MigrationStatus.PreSwitchover)).SourceVm);

        Source.Host.Tell(new HostProtocol.MigrateCancel(Vm));
        var info = await UntilEnded();

        Assert.Equal(MigrationStatus.Cancelled, info.Status);
        await AssertRolledBack(info);
    }

    [Fact]
    public async Task Cancel_after_completed_changes_nothing()
    {
        await Create(SmallVm());
        await Migrate();
        var done = await UntilEnded();
        Assert.Equal(MigrationStatus.Completed, done.Status);

        var result = await Ask(Source.Host, new HostProtocol.MigrateCancel(Vm));
        var after = await Query();

        Assert.Null(result.Error);
        Assert.Equal(MigrationStatus.Completed, after.Status);
        Assert.Equal(done.Downtime, after.Downtime);
        Assert.Equal(VmStates.Running, Assert.Single(await Vms(Destination)).State);
    }

    [Fact]
    public async Task Destination_terminated_mid_precopy_fails_in_bounded_time_and_the_source_runs_unchanged()
    {
        // No guest writes and no device activity: the source state must be bit for bit what it was.
        await Create(SmallVm(ram: 64L << 20, vfio: 0, vgpu: 0, dirtyRate: 0));
        await SetParameters(("max-bandwidth", (8L << 20).ToString()));
        var before = await Digests(Source);
        await Migrate();
        await Until(info => info.Ram.Transferred >= 1L << 20, TimeSpan.FromSeconds(30), "a MiB of precopy");

        await Destination.System.Terminate();
        var info = await UntilEnded(TimeSpan.FromSeconds(20));

        Assert.Equal(MigrationStatus.Failed, info.Status);
        Assert.Contains("destination", info.ErrorDesc);
        Assert.Equal(VmStates.Running, info.SourceVm);
        Assert.Equal(VmStates.Running, Assert.Single(await Vms(Source)).State);
        Assert.Equal(before, await Digests(Source));
    }

    [Fact]
    public async Task Destination_migration_actor_stopping_mid_precopy_fails_the_migration_and_the_source_keeps_running()
    {
        await Create(SmallVm(ram: 64L << 20));
        await SetParameters(("max-bandwidth", (8L << 20).ToString()));
        var started = await Migrate();
        await UntilStatus(MigrationStatus.Active);

        Destination.System.ActorSelection($"/user/{Orchestrator.Actors.Host.VmHost.Name}/incoming-{started}").Tell(PoisonPill.Instance);
        var info = await UntilEnded(TimeSpan.FromSeconds(20));

        Assert.Equal(MigrationStatus.Failed, info.Status);
        Assert.Contains("stopped", info.ErrorDesc);
        Assert.Contains("destination", info.ErrorDesc);
        await AssertRolledBack(info);
    }

    [Fact]
    public async Task A_prepare_that_arrives_while_an_earlier_twin_is_being_discarded_waits_for_it_instead_of_being_refused()
    {
        // The first migration holds its twin on the destination in pre-switchover.
        await Create(SmallVm(vfio: 0, vgpu: 0));
        await SetCapabilities("return-path,switchover-ack,pause-before-switchover");
        await Migrate();
        await UntilStatus(MigrationStatus.PreSwitchover);
        Assert.Equal([Vm], await Incoming(Destination));

        // A second prepare of the same VM, as a migration started again right after a cancel sends it.
        var second = CreateTestProbe();
        var again = new IncomingProtocol.Prepare(MigrationId.New(), SmallVm(vfio: 0, vgpu: 0), second.Ref, second.Ref);
        Destination.Host.Tell(again, second.Ref);
        await second.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(300));

        Source.Host.Tell(new HostProtocol.MigrateCancel(Vm));

        var prepared = await second.FishForMessageAsync(m => m is IncomingProtocol.Prepared or IncomingProtocol.Refused, TimeSpan.FromSeconds(10));
        var incoming = Assert.IsType<IncomingProtocol.Prepared>(prepared).Incoming;
        incoming.Tell(new IncomingProtocol.Abort(again.Migration, "test over"));
    }
}
