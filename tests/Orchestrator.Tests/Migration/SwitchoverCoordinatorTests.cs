using Akka.Actor;
using Akka.TestKit.Xunit2;
using Orchestrator.Actors.Migration;
using Orchestrator.Actors.Switchover;
using Orchestrator.Devices.Contract;
using Xunit;
using static Orchestrator.Actors.Switchover.SwitchoverProtocol;

namespace Orchestrator.Tests.Migration;

public sealed class SwitchoverCoordinatorTests : TestKit
{
    private static readonly MigrationId Id = new("m1");
    private static readonly DeviceName Vf = new("0000:17:00.2");
    private static readonly DeviceName Gpu = new("vgpu0");

    [Fact]
    public void Each_device_decrements_once_and_zero_allows_switchover()
    {
        var migration = CreateTestProbe();
        var coordinator = Sys.ActorOf(SwitchoverCoordinator.Props(Id, migration.Ref, TimeProvider.System, TimeProvider.System.GetTimestamp()));

        coordinator.Tell(new ExpectAcks(Id, [Vf, Gpu]));
        Assert.Equal("2 pending: 0000:17:00.2 pending, vgpu0 pending", Show(migration.ExpectMsg<AcksChanged>()));

        coordinator.Tell(new DeviceAcked(Id, Vf));
        Assert.Equal("1 pending: 0000:17:00.2 acked, vgpu0 pending", Show(migration.ExpectMsg<AcksChanged>()));

        coordinator.Tell(new DeviceAcked(Id, Vf));                  // repeated
        coordinator.Tell(new DeviceAcked(Id, new DeviceName("x"))); // owes none
        coordinator.Tell(new DeviceAcked(new MigrationId("other"), Gpu)); // another migration's
        migration.ExpectNoMsg(TimeSpan.FromMilliseconds(200));

        coordinator.Tell(new DeviceAcked(Id, Gpu));
        Assert.Equal("0 pending, allowed: 0000:17:00.2 acked, vgpu0 acked", Show(migration.ExpectMsg<AcksChanged>()));
        coordinator.Tell(new DeviceAcked(Id, Gpu));
        migration.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public void Zero_devices_allow_switchover_at_once()
    {
        var migration = CreateTestProbe();
        var coordinator = Sys.ActorOf(SwitchoverCoordinator.Props(Id, migration.Ref, TimeProvider.System, TimeProvider.System.GetTimestamp()));

        coordinator.Tell(new ExpectAcks(Id, []));

        Assert.Equal("0 pending, allowed: ", Show(migration.ExpectMsg<AcksChanged>()));
    }

    [Fact]
    public void An_ack_that_overtakes_the_count_is_kept_until_the_count_arrives()
    {
        var migration = CreateTestProbe();
        var coordinator = Sys.ActorOf(SwitchoverCoordinator.Props(Id, migration.Ref, TimeProvider.System, TimeProvider.System.GetTimestamp()));

        coordinator.Tell(new DeviceAcked(Id, Vf));
        migration.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
        coordinator.Tell(new ExpectAcks(Id, [Vf]));

        Assert.Equal("1 pending: 0000:17:00.2 pending", Show(migration.ExpectMsg<AcksChanged>()));
        Assert.Equal("0 pending, allowed: 0000:17:00.2 acked", Show(migration.ExpectMsg<AcksChanged>()));
    }

    [Fact]
    public void The_armed_deadline_names_the_devices_still_owing()
    {
        var migration = CreateTestProbe();
        var coordinator = Sys.ActorOf(SwitchoverCoordinator.Props(Id, migration.Ref, TimeProvider.System, TimeProvider.System.GetTimestamp()));
        coordinator.Tell(new ExpectAcks(Id, [Vf, Gpu]));
        migration.ExpectMsg<AcksChanged>();
        coordinator.Tell(new DeviceAcked(Id, Gpu));
        migration.ExpectMsg<AcksChanged>();

        coordinator.Tell(new ArmDeadline(TimeSpan.FromMilliseconds(200)));

        var passed = migration.ExpectMsg<AckDeadlinePassed>(TimeSpan.FromSeconds(3));
        Assert.True(passed.CountKnown);
        Assert.Equal([Vf], passed.Pending);
        Assert.Null(passed.DestinationSays); // not asked: the deadline came before the first question
    }

    [Fact]
    public void An_ack_lost_on_the_way_is_counted_from_the_destinations_answer_while_the_migration_waits()
    {
        var migration = CreateTestProbe();
        var destination = CreateTestProbe();
        var coordinator = Sys.ActorOf(SwitchoverCoordinator.Props(Id, migration.Ref, TimeProvider.System, TimeProvider.System.GetTimestamp()));
        coordinator.Tell(new DestinationPrepared(destination.Ref));
        coordinator.Tell(new ExpectAcks(Id, [Vf]));
        migration.ExpectMsg<AcksChanged>();

        // The VF approved, but its DeviceAcked never arrives. The migration converges and waits.
        coordinator.Tell(new ArmDeadline(TimeSpan.FromSeconds(60)));

        destination.ExpectMsg<ApprovalsQuery>(SwitchoverCoordinator.AskInterval * 3);
        destination.Reply(new Approvals(Id, [Vf], [Vf]));
        Assert.Equal("0 pending, allowed: 0000:17:00.2 acked", Show(migration.ExpectMsg<AcksChanged>()));

        // The ack that was only late changes nothing, and nobody is asked any more.
        coordinator.Tell(new DeviceAcked(Id, Vf));
        migration.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        destination.ExpectNoMsg(SwitchoverCoordinator.AskInterval * 2);
    }

    [Fact]
    public void A_lost_count_is_taken_from_the_destinations_answer()
    {
        var migration = CreateTestProbe();
        var destination = CreateTestProbe();
        var coordinator = Sys.ActorOf(SwitchoverCoordinator.Props(Id, migration.Ref, TimeProvider.System, TimeProvider.System.GetTimestamp()));
        coordinator.Tell(new DestinationPrepared(destination.Ref));

        // Neither ExpectAcks nor any ack arrived; the migration converged and waits.
        coordinator.Tell(new ArmDeadline(TimeSpan.FromSeconds(60)));

        destination.ExpectMsg<ApprovalsQuery>(SwitchoverCoordinator.AskInterval * 3);
        destination.Reply(new Approvals(Id, [Vf, Gpu], [Gpu]));
        Assert.Equal("2 pending: 0000:17:00.2 pending, vgpu0 pending", Show(migration.ExpectMsg<AcksChanged>()));
        Assert.Equal("1 pending: 0000:17:00.2 pending, vgpu0 acked", Show(migration.ExpectMsg<AcksChanged>()));
        migration.ExpectNoMsg(TimeSpan.FromMilliseconds(200));

        destination.ExpectMsg<ApprovalsQuery>(SwitchoverCoordinator.AskInterval * 3);
        destination.Reply(new Approvals(Id, [Vf, Gpu], [Gpu, Vf]));
        Assert.Equal("0 pending, allowed: 0000:17:00.2 acked, vgpu0 acked", Show(migration.ExpectMsg<AcksChanged>()));
    }

    [Fact]
    public void The_destination_is_asked_only_once_the_migration_waits_for_acks()
    {
        var migration = CreateTestProbe();
        var destination = CreateTestProbe();
        var coordinator = Sys.ActorOf(SwitchoverCoordinator.Props(Id, migration.Ref, TimeProvider.System, TimeProvider.System.GetTimestamp()));
        coordinator.Tell(new DestinationPrepared(destination.Ref));
        coordinator.Tell(new ExpectAcks(Id, [Vf]));
        migration.ExpectMsg<AcksChanged>();

        destination.ExpectNoMsg(SwitchoverCoordinator.AskInterval * 2);

        // switchover-ack-timeout 0 waits without limit, and still asks.
        coordinator.Tell(new ArmDeadline(TimeSpan.Zero));
        destination.ExpectMsg<ApprovalsQuery>(SwitchoverCoordinator.AskInterval * 3);
    }

    [Fact]
    public void A_destination_with_switchover_ack_off_is_not_taken_for_one_that_counts_no_device()
    {
        var migration = CreateTestProbe();
        var destination = CreateTestProbe();
        var coordinator = Sys.ActorOf(SwitchoverCoordinator.Props(Id, migration.Ref, TimeProvider.System, TimeProvider.System.GetTimestamp()));
        coordinator.Tell(new DestinationPrepared(destination.Ref));
        coordinator.Tell(new ArmDeadline(SwitchoverCoordinator.AskInterval * 2.5));

        destination.ExpectMsg<ApprovalsQuery>(SwitchoverCoordinator.AskInterval * 3);
        destination.Reply(new Approvals(Id, Expected: null, Approved: []));

        var passed = migration.ExpectMsg<AckDeadlinePassed>(SwitchoverCoordinator.AskInterval * 5);
        Assert.False(passed.CountKnown);
        Assert.Equal("the destination says switchover-ack is off there", passed.DestinationSays);
    }

    [Fact]
    public void The_deadline_says_whether_the_destination_had_approved_or_did_not_answer()
    {
        var migration = CreateTestProbe();
        var destination = CreateTestProbe();
        var coordinator = Sys.ActorOf(SwitchoverCoordinator.Props(Id, migration.Ref, TimeProvider.System, TimeProvider.System.GetTimestamp()));
        coordinator.Tell(new DestinationPrepared(destination.Ref));
        coordinator.Tell(new ExpectAcks(Id, [Vf]));
        migration.ExpectMsg<AcksChanged>();
        coordinator.Tell(new ArmDeadline(SwitchoverCoordinator.AskInterval * 2.5));

        destination.ExpectMsg<ApprovalsQuery>(SwitchoverCoordinator.AskInterval * 3);
        destination.Reply(new Approvals(Id, [Vf], []));

        var passed = migration.ExpectMsg<AckDeadlinePassed>(SwitchoverCoordinator.AskInterval * 5);
        Assert.Equal([Vf], passed.Pending);
        Assert.Equal("asked, the destination says it has not approved yet", passed.DestinationSays);

        var silent = Sys.ActorOf(SwitchoverCoordinator.Props(Id, migration.Ref, TimeProvider.System, TimeProvider.System.GetTimestamp()));
        silent.Tell(new DestinationPrepared(CreateTestProbe().Ref));
        silent.Tell(new ExpectAcks(Id, [Vf]));
        migration.ExpectMsg<AcksChanged>();
        silent.Tell(new ArmDeadline(SwitchoverCoordinator.AskInterval * 1.5));
        Assert.Equal("the destination did not answer when asked", migration.ExpectMsg<AckDeadlinePassed>(SwitchoverCoordinator.AskInterval * 4).DestinationSays);
    }

    /// <summary>The report as a sentence: the counter, whether switchover may go, and each owed device's state.</summary>
    private static string Show(AcksChanged acks) =>
        $"{acks.Pending} pending{(acks.Allowed ? ", allowed" : "")}: " +
        string.Join(", ", acks.Owed.OrderBy(o => o.Key.Value).Select(o => $"{o.Key} {o.Value.Name}"));
}
