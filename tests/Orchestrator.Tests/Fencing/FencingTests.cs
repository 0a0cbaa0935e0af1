using Akka.Actor;
using Orchestrator.Actors.Fencing;
using Orchestrator.Actors.Host;
using Orchestrator.Actors.Migration;
using Orchestrator.Actors.Precopy;
using Orchestrator.Devices.Machine;
using Orchestrator.Tests.Migration;
using Xunit;
using Xunit.Abstractions;
using static Orchestrator.Actors.Fencing.OwnershipProtocol;

namespace Orchestrator.Tests.Fencing;

/// <summary>
/// Fencing with an ownership ledger: whichever of its messages are lost, the destination starts only
/// on a recorded commit, a source resumes only on a fenced epoch, and otherwise the VM stays paused.
/// </summary>
public sealed class FencingTests(ITestOutputHelper output) : TwoNodeTestKit(output, MigrationSettings.Default with
{
    Ownership = new OwnershipTimeouts(TimeSpan.FromMilliseconds(500), TimeSpan.FromMilliseconds(200), ResolveAttempts: 5),
})
{
    private IActorRef _ledger = ActorRefs.Nobody;
    private readonly List<IActorRef> _relays = [];

    /// <summary>The ledger in the source's system; the source reaches it through a faulty relay, the destination over remoting.</summary>
    private async Task Fence(LedgerFault fault)
    {
        _ledger = Sys.ActorOf(OwnershipLedger.Props(), "ownership");
        var relay = Sys.ActorOf(LedgerRelay.Props(_ledger, fault), "relay");
        _relays.Add(relay);
        Source.Host.Tell(new HostLocal.FenceWith(relay));
        var remoteLedger = await Destination.System.ActorSelection(new RootActorPath(Source.Address) / "user" / "ownership").ResolveOne(AskTimeout);
        // A ledger unreachable from the source after its commit request is unreachable from the destination too.
        if (fault is LedgerFault.BlackholeAfterCommit or LedgerFault.BlackholeCommitReply)
        {
            var destinationRelay = Destination.System.ActorOf(LedgerRelay.Props(remoteLedger, LedgerFault.Blackhole));
            _relays.Add(destinationRelay);
            Destination.Host.Tell(new HostLocal.FenceWith(destinationRelay));
        }
        else
        {
            Destination.Host.Tell(new HostLocal.FenceWith(remoteLedger));
        }
    }

    private async Task<OwnerOf> Owner() => await _ledger.Ask<OwnerOf>(new GetOwner(Vm), AskTimeout);

    [Fact]
    public async Task Each_migration_moves_ownership_to_a_newer_epoch_recorded_in_the_ledger()
    {
        await Fence(LedgerFault.None);
        await Create(SmallVm(vfio: 0, vgpu: 0));
        await Migrate();
        var there = await UntilEnded();
        Assert.Equal(MigrationStatus.Completed, there.Status);
        Assert.Equal(1, Assert.Single(await Vms(Destination)).Epoch);
        Assert.Equal((Destination.Address.ToString(), 1L), ((await Owner()).Owner, (await Owner()).Epoch));

        // And back: the copy at epoch 1 commits epoch 2.
        var back = await Destination.Host.Ask<object>(new HostProtocol.Migrate(Vm, Source.Address), AskTimeout);
        Assert.IsType<HostProtocol.MigrationStarted>(back);
        await AwaitAssertAsync(async () => Assert.Equal(2, Assert.Single(await Vms(Source)).Epoch), TimeSpan.FromSeconds(30));
        Assert.Equal((Source.Address.ToString(), 2L), ((await Owner()).Owner, (await Owner()).Epoch));
        Assert.Empty(await Vms(Destination));
    }

    [Fact]
    public async Task A_commit_recorded_but_its_answer_lost_is_found_by_resolving_and_the_migration_completes()
    {
        await Fence(LedgerFault.DropCommitReply);
        await Create(SmallVm(vfio: 0, vgpu: 0));
        await Migrate();
        var info = await UntilEnded();
        Assert.Equal(MigrationStatus.Completed, info.Status);
        Assert.True(info.Verified);
        Assert.All(info.Devices, d => Assert.Equal(d.SourceDigest, d.DestinationDigest));
        var moved = Assert.Single(await Vms(Destination));
        Assert.Equal((VmStates.Running, 1L), (moved.State, moved.Epoch));
        Assert.Empty(await Vms(Source));
    }

    [Fact]
    public async Task A_commit_that_never_reached_the_ledger_is_fenced_and_the_source_resumes()
    {
        await Fence(LedgerFault.DropCommit);
        await Create(SmallVm(vfio: 0, vgpu: 0));
        var id = await Migrate();
        var info = await UntilEnded();
        Assert.Equal(MigrationStatus.Failed, info.Status);
        Assert.Contains("the ownership ledger fenced epoch 1, the source VM resumes", info.ErrorDesc);
        await AssertRolledBack(info);
        Assert.Equal(0, Assert.Single(await Vms(Source)).Epoch);
        Assert.Null((await Owner()).Owner);
        // The lost commit arriving late can no longer move ownership.
        var late = await _ledger.Ask<object>(new Commit(Vm, id, Source.Address.ToString(), Destination.Address.ToString(), 1), AskTimeout);
        Assert.IsType<Fenced>(late);
    }

    [Fact]
    public async Task With_the_ledger_unreachable_after_the_stop_the_vm_stays_paused_and_the_destination_never_starts()
    {
        await Fence(LedgerFault.BlackholeAfterCommit);
        await Create(SmallVm(vfio: 0, vgpu: 0));
        await Migrate();
        var info = await UntilEnded();
        Assert.Equal(MigrationStatus.Failed, info.Status);
        Assert.Contains("the ownership ledger could not be reached", info.ErrorDesc);
        Assert.Contains("the source VM stays paused rather than risk two running copies", info.ErrorDesc);
        Assert.Equal(VmStates.Paused, Assert.Single(await Vms(Source)).State);
        // The destination holds its verified twin, paused, asking the ledger; it never runs it.
        await Task.Delay(500);
        Assert.Empty(await Vms(Destination));
        Assert.Equal([Vm], await Incoming(Destination));

        // No resume while the ledger cannot answer.
        var refused = await Ask(Source.Host, new HostProtocol.ResumeVm(Vm));
        Assert.Contains("The ownership ledger did not answer", refused.Error);
        Assert.Equal(VmStates.Paused, Assert.Single(await Vms(Source)).State);

        // The ledger is back: the commit was never recorded, so resuming fences the migration, and the
        // destination, asking too, discards its twin.
        foreach (var relay in _relays)
            relay.Tell(LedgerFault.None);
        Assert.Equal(CommandResult.Ok, await Ask(Source.Host, new HostProtocol.ResumeVm(Vm)));
        Assert.Equal(VmStates.Running, Assert.Single(await Vms(Source)).State);
        await AwaitAssertAsync(async () => Assert.Empty(await Incoming(Destination)), TimeSpan.FromSeconds(10));
        Assert.Empty(await Vms(Destination));
    }

    [Fact]
    public async Task Resuming_a_copy_whose_commit_was_recorded_removes_it_instead()
    {
        await Fence(LedgerFault.BlackholeCommitReply);
        await Create(SmallVm(vfio: 0, vgpu: 0));
        await Migrate();
        var info = await UntilEnded();
        Assert.Equal(MigrationStatus.Failed, info.Status);
        Assert.Equal(VmStates.Paused, Assert.Single(await Vms(Source)).State);

        foreach (var relay in _relays)
            relay.Tell(LedgerFault.None);
        var refused = await Ask(Source.Host, new HostProtocol.ResumeVm(Vm));
        Assert.Contains("belongs to its destination at epoch 1", refused.Error);
        // The destination's twin, asking the healed ledger, starts: one copy, at the new epoch.
        await AwaitAssertAsync(async () => Assert.Equal((VmStates.Running, 1L),
            (Assert.Single(await Vms(Destination)).State, Assert.Single(await Vms(Destination)).Epoch)), TimeSpan.FromSeconds(10));
        await AwaitAssertAsync(async () => Assert.Empty(await Vms(Source)), TimeSpan.FromSeconds(10));
    }
}
