using Akka.Actor;
using Akka.TestKit.Xunit2;
using Orchestrator.Actors.Fencing;
using Orchestrator.Actors.Migration;
using Orchestrator.Actors.Wire;
using Orchestrator.Actors.Wiring;
using Xunit;
using static Orchestrator.Actors.Fencing.OwnershipProtocol;

namespace Orchestrator.Tests.Fencing;

/// <summary>
/// Creating a VM through the ownership ledger: one create of a name at a time, and a created VM is
/// recorded above every epoch its name ever had, durably (journal and snapshot).
/// </summary>
public sealed class NameClaimTests() : TestKit(TestSystem.Start())
{
    private static readonly TimeSpan Ask = TimeSpan.FromSeconds(5);
    private const string Host1 = "akka.tcp://orchestrator@127.0.0.1:4053";
    private const string Host2 = "akka.tcp://orchestrator@127.0.0.1:4054";
    private int _generation;

    private IActorRef StartLedger() => Sys.ActorOf(OwnershipLedger.Props(), $"ownership-{++_generation}");

    private async Task StopLedger(IActorRef ledger)
    {
        Watch(ledger);
        Sys.Stop(ledger);
        await ExpectTerminatedAsync(ledger);
    }

    private static async Task<NameClaimed> CreateAt(IActorRef ledger, string vm, string host)
    {
        var reserved = await ledger.Ask<NameReserved>(new ReserveName(vm), Ask);
        var claimed = await ledger.Ask<NameClaimed>(new ClaimName(vm, reserved.Token, host), Ask);
        ledger.Tell(new ReleaseName(vm, reserved.Token));
        return claimed;
    }

    [Fact]
    public async Task A_name_is_held_by_one_create_at_a_time_and_free_again_once_released()
    {
        var ledger = StartLedger();

        var first = await ledger.Ask<object>(new ReserveName("web"), Ask);
        var second = await ledger.Ask<object>(new ReserveName("web"), Ask);
        var other = await ledger.Ask<object>(new ReserveName("db"), Ask);
        var token = Assert.IsType<NameReserved>(first).Token;
        var staleClaim = await ledger.Ask<object>(new ClaimName("web", Guid.NewGuid(), Host1), Ask);
        ledger.Tell(new ReleaseName("web", Guid.NewGuid())); // not the holder's token: changes nothing
        var stillHeld = await ledger.Ask<object>(new ReserveName("web"), Ask);
        ledger.Tell(new ReleaseName("web", token));
        var afterRelease = await ledger.Ask<object>(new ReserveName("web"), Ask);

        Assert.Equal("another create of VM 'web' is in progress; try again when it has finished", Assert.IsType<NameRefused>(second).Reason);
        Assert.IsType<NameReserved>(other);
        Assert.Equal("the reservation of VM name 'web' ran out before the create; try again", Assert.IsType<NameRefused>(staleClaim).Reason);
        Assert.IsType<NameRefused>(stillHeld);
        Assert.NotEqual(token, Assert.IsType<NameReserved>(afterRelease).Token);
        Assert.Equal(new OwnerOf("web", null, 0), await ledger.Ask<OwnerOf>(new GetOwner("web"), Ask)); // nothing claimed, nothing recorded
    }

    [Fact]
    public async Task A_name_no_VM_may_have_is_refused_before_anything_is_held()
    {
        var ledger = StartLedger();

        var refused = Assert.IsType<NameRefused>(await ledger.Ask<object>(new ReserveName("../etc"), Ask));

        Assert.StartsWith("Invalid VM name '../etc'", refused.Reason);
    }

    [Fact]
    public async Task A_VM_created_again_after_its_migrations_starts_above_every_epoch_of_its_name_and_can_commit()
    {
        var ledger = StartLedger();
        var created = await CreateAt(ledger, "web", Host1);
        var moved = await ledger.Ask<object>(new Commit("web", new MigrationId("m1"), Host1, Host2, created.Epoch + 1), Ask);
        // Deleted on host2 (the ledger is not told) and created again on host1.
        var again = await CreateAt(ledger, "web", Host1);
        var stale = await ledger.Ask<object>(new Commit("web", new MigrationId("m2"), Host2, Host1, 3), Ask);
        var next = await ledger.Ask<object>(new Commit("web", new MigrationId("m3"), Host1, Host2, again.Epoch + 1), Ask);

        Assert.Equal(1, created.Epoch);
        Assert.Equal(2, Assert.IsType<Committed>(moved).Epoch);
        Assert.Equal(3, again.Epoch);
        Assert.StartsWith("stale epoch 3: web is at epoch 3 on " + Host1, Assert.IsType<Refused>(stale).Reason);
        Assert.Equal(4, Assert.IsType<Committed>(next).Epoch);
    }

    [Fact]
    public async Task A_successor_recovers_created_VMs_from_the_journal_and_from_a_snapshot()
    {
        var ledger = StartLedger();
        await CreateAt(ledger, "web", Host2);
        // 100 events make a snapshot, after which the journal before it is deleted: only the snapshot knows "vm-0".
        for (var i = 0; i < 99; i++)
            await CreateAt(ledger, $"vm-{i}", Host1);
        await CreateAt(ledger, "db", Host1);
        await StopLedger(ledger);

        var successor = StartLedger(); // the same persistence id: it replays what the last one wrote

        Assert.Equal(new OwnerOf("web", Host2, 1), await successor.Ask<OwnerOf>(new GetOwner("web"), Ask));
        Assert.Equal(new OwnerOf("vm-0", Host1, 1), await successor.Ask<OwnerOf>(new GetOwner("vm-0"), Ask));
        Assert.Equal(new OwnerOf("db", Host1, 1), await successor.Ask<OwnerOf>(new GetOwner("db"), Ask));
        Assert.Equal(2, (await CreateAt(successor, "web", Host1)).Epoch);
    }

    [Fact]
    public void A_snapshot_written_before_creates_were_recorded_still_reads()
    {
        var serializer = new HostWireSerializer((ExtendedActorSystem)Sys);
        var snapshot = new OwnershipSnapshot([new OwnershipMoved("web", new MigrationId("m1"), Host1, Host2, 1)], [], [new VmCreated("db", Host1, 1)]);

        var back = (OwnershipSnapshot)serializer.FromBinary(serializer.ToBinary(snapshot), serializer.Manifest(snapshot));
        var old = (OwnershipSnapshot)serializer.FromBinary(
            """{"Owners":[{"Vm":"web","Migration":{"Value":"m1"},"Source":"a","Destination":"b","Epoch":1}],"Fenced":[]}"""u8.ToArray(),
            serializer.Manifest(snapshot));

        Assert.Equal(new VmCreated("db", Host1, 1), Assert.Single(back.Created!));
        Assert.Equal("b", Assert.Single(old.Owners).Destination);
        Assert.Null(old.Created);
    }
}
