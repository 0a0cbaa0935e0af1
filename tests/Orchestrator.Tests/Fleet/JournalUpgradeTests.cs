using Akka.Actor;
using Akka.TestKit.Xunit2;
using Orchestrator.Actors.Fencing;
using Orchestrator.Actors.Fleet;
using Orchestrator.Actors.Fleet.Journal;
using Orchestrator.Actors.Hosting;
using Orchestrator.Actors.Migration;
using Xunit;
using Xunit.Abstractions;
using static Orchestrator.Actors.Fleet.Journal.FleetJournal;

namespace Orchestrator.Tests.Fleet;

/// <summary>
/// A node upgraded in place recovers the journal its predecessor wrote: Journals/fleet-2026-11-29.db, made
/// by a real cluster killed mid-evacuation (Journals/README.md says how).
/// </summary>
public sealed class JournalUpgradeTests : TestKit
{
    public JournalUpgradeTests(ITestOutputHelper output)
        : base(FleetStoreOptions.Sqlite(CopyOf("fleet-2026-11-29.db")).ToConfig().WithFallback(new RemotingOptions(Port: 0).ToConfig()), "upgraded", output)
    {
    }

    /// <summary>A copy in a directory of its own, as fleet.db: recovery must not change the checked-in file.</summary>
    private static string CopyOf(string journal)
    {
        var dir = Directory.CreateTempSubdirectory("orchestrator-upgrade-").FullName;
        File.Copy(Path.Combine(AppContext.BaseDirectory, "Fleet", "Journals", journal), Path.Combine(dir, FleetStoreOptions.SqliteFile));
        return dir;
    }

    [Fact]
    public void The_fleet_recovers_queued_and_running_moves_the_evacuation_the_drained_host_placement_and_history()
    {
        var probe = CreateTestProbe();
        Sys.ActorOf(Props.Create(() => new StoreParent(probe.Ref)));
        var state = probe.ExpectMsg<Recovered>(TimeSpan.FromSeconds(30)).State;

        Assert.Equal(
            ["evac1 host1>host2 running", "evac2 host1>host3 running", "evac3 host1>host2 queued", "evac4 host1>host3 queued", "evac5 host1>host2 queued"],
            state.Active.Select(a => $"{a.Record.Vm} {a.Record.Source}>{a.Record.Destination} {(a.StartedAt is null ? "queued" : "running")}").Order());
        Assert.All(state.Active, a => Assert.Equal((MigrationPriority.Evacuation, 64L << 20), (a.Record.Kind, a.Size)));
        var job = Assert.Single(state.Evacuations);
        Assert.Equal("host1", job.Host);
        Assert.Equal(["evac1", "evac2", "evac3", "evac4", "evac5"], job.Vms.Order());
        Assert.Equal(["host1"], state.Draining);
        Assert.Equal(
            ["evac1 host1", "evac2 host1", "evac3 host1", "evac4 host1", "evac5 host1", "hist1 host3", "hist2 host2", "stay1 host3"],
            state.Placement.Select(p => $"{p.Key} {p.Value}").Order());
        Assert.Equal(
            ["hist1 host2>host3 completed", "hist2 host3>host2 completed", "stay1 host3>host2 cancelled: migration cancelled by request"],
            state.Finished.Select(f => $"{f.Record.Vm} {f.Record.Source}>{f.Record.Destination} {f.Record.Status.Name()}{(f.Record.Reason is { } r ? ": " + r : "")}").Order());
        Assert.All(state.Finished, f => Assert.Equal(f.Record.Status, f.Final?.Status));
    }

    [Fact]
    public async Task The_ownership_ledger_recovers_each_VMs_owner_and_epoch()
    {
        var ledger = Sys.ActorOf(OwnershipLedger.Props());

        var hist1 = await ledger.Ask<OwnershipProtocol.OwnerOf>(new OwnershipProtocol.GetOwner("hist1"), TimeSpan.FromSeconds(30));
        var evac1 = await ledger.Ask<OwnershipProtocol.OwnerOf>(new OwnershipProtocol.GetOwner("evac1"), TimeSpan.FromSeconds(5));

        // Created on host2 at epoch 1, moved to host3 (remoting port 5155) at epoch 2; evac1 created on host1 (5153).
        Assert.Equal(("akka.tcp://orchestrator@127.0.0.1:5155", 2L), (hist1.Owner, hist1.Epoch));
        Assert.Equal(("akka.tcp://orchestrator@127.0.0.1:5153", 1L), (evac1.Owner, evac1.Epoch));
    }

    private sealed class StoreParent : ReceiveActor
    {
        public StoreParent(IActorRef probe)
        {
            Context.ActorOf(FleetStore.Props(5), "store");
            Receive<Recovered>(r => probe.Tell(r));
        }
    }
}
