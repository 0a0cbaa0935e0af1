using Akka.Actor;
using Orchestrator.Actors.Fencing;
using Orchestrator.Actors.Host;
using Orchestrator.Actors.Migration;
using Orchestrator.Devices.Machine;
using Orchestrator.Tests.Migration;
using Xunit;
using Xunit.Abstractions;
using static Orchestrator.Actors.Fencing.OwnershipProtocol;

namespace Orchestrator.Tests.Fencing;

/// <summary>
/// The ownership ledger's node dies while a migration between two other nodes runs, at each phase, and a
/// successor recovers the journal a failover later (longer than the commit timeout). Source and destination
/// live, so the migration completes: the VM ends on the destination at the new epoch, and at every poll some
/// host holds it.
/// </summary>
public sealed class LedgerFailoverTests(ITestOutputHelper output) : TwoNodeTestKit(output, MigrationSettings.Default with
{
    CommitTimeout = TimeSpan.FromSeconds(1),
    Ownership = new OwnershipTimeouts(TimeSpan.FromMilliseconds(500), TimeSpan.FromMilliseconds(200), ResolveAttempts: 25),
})
{
    /// <summary>How long the ledger is gone: more than the commit timeout, less than the source's patience (25 x 200 ms).</summary>
    private static readonly TimeSpan Failover = TimeSpan.FromSeconds(2);

    private IActorRef _ledger = ActorRefs.Nobody;
    private IActorRef _relay = ActorRefs.Nobody;

    private async Task FenceThroughRelay()
    {
        _ledger = Sys.ActorOf(OwnershipLedger.Props(), "ownership");
        _relay = Sys.ActorOf(LedgerRelay.Props(_ledger, LedgerFault.None), "relay");
        Source.Host.Tell(new HostLocal.FenceWith(_relay));
        var relay = await Destination.System.ActorSelection(new RootActorPath(Source.Address) / "user" / "relay").ResolveOne(AskTimeout);
        Destination.Host.Tell(new HostLocal.FenceWith(relay));
    }

    [Theory]
    [InlineData(MigrationPhase.Setup)]
    [InlineData(MigrationPhase.Precopy)]
    [InlineData(MigrationPhase.WaitingForAcks)]
    [InlineData(MigrationPhase.StopCopy)]
    [InlineData(MigrationPhase.AfterCommit)]
    public async Task A_migration_completes_when_the_ledgers_node_fails_over_at(MigrationPhase phase)
    {
        await FenceThroughRelay();
        await Create(SmallVm(vfioAllocMs: 600));
        Task? failover = null;
        PhaseTap.Attach(Sys, reached =>
        {
            if (reached.Vm != Vm || reached.Phase != phase || failover is not null)
                return;
            // Synchronously, on the migration's own thread: the ledger is gone before the migration's next step.
            var dead = _ledger;
            Sys.Stop(dead);
            failover = Task.Run(async () =>
            {
                await Task.Delay(Failover);
                _ledger = Sys.ActorOf(OwnershipLedger.Props(), "ownership-successor");
                _relay.Tell(new LedgerRelay.Retarget(_ledger));
            });
        });
        await Migrate();
        MigrationInfo info;
        var deadline = DateTime.UtcNow.AddSeconds(30);
        do
        {
            info = await Query();
            // Some host holds the VM at every poll: the source until the destination runs it.
            var held = (await Vms(Source)).Count + (await Vms(Destination)).Count + (await Incoming(Destination)).Count;
            Assert.True(held >= 1, $"no host holds the VM while the migration is {info.Status.Name()}");
            Assert.True(DateTime.UtcNow < deadline, $"still {info.Status.Name()} after 30 s");
            await Task.Delay(20);
        }
        while (!info.Status.IsTerminal());
        Assert.NotNull(failover);
        await failover!;

        Assert.True(info.Status == MigrationStatus.Completed, $"{info.Status.Name()}: {info.ErrorDesc}");
        Assert.True(info.Verified);
        var moved = Assert.Single(await Vms(Destination));
        Assert.Equal((VmStates.Running, 1L), (moved.State, moved.Epoch));
        await AwaitAssertAsync(async () => Assert.Empty(await Vms(Source)), TimeSpan.FromSeconds(5));
        var owner = await _ledger.Ask<OwnerOf>(new GetOwner(Vm), AskTimeout);
        Assert.Equal((Destination.Address.ToString(), 1L), (owner.Owner, owner.Epoch));
    }
}
