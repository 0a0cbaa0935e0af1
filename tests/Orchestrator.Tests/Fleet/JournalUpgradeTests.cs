using Akka.Actor;
using Akka.TestKit.Xunit2;
using Orchestrator.Actors.Fencing;
using Orchestrator.Actors.Fleet;
using Orchestrator.Actors.Fleet.Journal;
using Orchestrator.Actors.Migration;
using Orchestrator.Actors.Wiring;
using Xunit;
using Xunit.Abstractions;

namespace Orchestrator.Tests.Fleet;

/// <summary>
/// A node upgraded in place recovers the journal its predecessor wrote: Journals/fleet-2026-11-29.db, made
/// by a real cluster killed mid-evacuation (Journals/README.md says how).
/// </summary>
public sealed class JournalUpgradeTests : TestKit
{
    public JournalUpgradeTests(ITestOutputHelper output)
        : base(TestSystem.Start("upgraded", FleetStoreOptions.Sqlite(CopyOf("fleet-2026-11-29.db")), cluster: true), output)
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
        Sys.ActorOf(FleetJournalProbe.Props(probe.Ref));
        var state = probe.ExpectMsg<FleetJournalProbe.Recovered>(TimeSpan.FromSeconds(30)).State;

        Assert.Equal(
            ["evac1 host1>host2 running", "evac2 host1>host3 running", "evac3 host1>host2 queued", "evac4 host1>host3 queued", "evac5 host1>host2 queued"],
            state.ActiveInOrder.Select(a => $"{a.Vm} {a.Source}>{a.Destination} {(a.Started ? "running" : "queued")}").Order());
        Assert.All(state.Active.Values, a => Assert.Equal((MigrationPriority.Evacuation, 64L << 20, "host1"), (a.Kind, a.Size, a.Evacuation)));
        // The permits are held and queued again, in the order they were admitted.
        Assert.Equal(["evac1", "evac2"], state.Permits.Held.Select(h => h.Vm).Order());
        Assert.Equal(["evac3", "evac4", "evac5"], state.Permits.Queued.Select(q => q.Vm));
        var job = Assert.Single(state.Evacuations.Values);
        Assert.Equal("host1", job.Host);
        Assert.Equal(["evac1", "evac2", "evac3", "evac4", "evac5"], job.Vms.Order());
        Assert.Equal(["host1"], state.Draining);
        Assert.Equal(
            ["evac1 host1", "evac2 host1", "evac3 host1", "evac4 host1", "evac5 host1", "hist1 host3", "hist2 host2", "stay1 host3"],
            state.Placement.Select(p => $"{p.Key} {p.Value}").Order());
        Assert.Equal(
            ["hist1 host2>host3 completed", "hist2 host3>host2 completed", "stay1 host3>host2 cancelled: migration cancelled by request"],
            state.Finished.Values.SelectMany(f => f)
                .Select(f => $"{f.Migration.Vm} {f.Migration.Source}>{f.Migration.Destination} {f.Outcome.Status}{(f.Outcome.Reason is { } r ? ": " + r : "")}").Order());
        // The outcome keeps the final statistics the old journal embedded in its whole query-migrate view.
        var hist1 = Assert.Single(state.Finished["hist1"]).Outcome;
        Assert.Equal((43565804L, 0L, 3L, 100, 605L, 1396L, 72L, 33554432L),
            (hist1.Transferred, hist1.Remaining, hist1.Iteration, hist1.Percent, hist1.Downtime, hist1.TotalTime, hist1.SetupTime, hist1.Total));
    }

    [Fact]
    public void The_coordinator_itself_answers_from_the_recovered_journal()
    {
        Akka.Cluster.Cluster.Get(Sys).Join(Akka.Cluster.Cluster.Get(Sys).SelfAddress);
        // No judgement tick during the test: the recovered hosts are not members of this one-node cluster.
        var settings = FleetProtocol.Settings.Default with { PollInterval = TimeSpan.FromHours(1) };
        var fleet = Sys.ActorOf(Props.Create(() => new FleetCoordinator(settings, null)));

        fleet.Tell(FleetProtocol.GetPermits.Instance);
        var permits = ExpectMsg<FleetProtocol.Permits>(TimeSpan.FromSeconds(30));
        Assert.Equal((2, 3, 2), (permits.Held, permits.Queued, permits.Outbound["host1"]));

        fleet.Tell(FleetProtocol.ListMigrations.Instance);
        var list = ExpectMsg<FleetProtocol.MigrationList>();
        Assert.Equal(
            ["evac1 setup", "evac2 setup", "evac3 queued", "evac4 queued", "evac5 queued", "hist1 completed", "hist2 completed", "stay1 cancelled"],
            list.Migrations.Select(m => $"{m.Vm} {m.Status.Name()}").Order());
        Assert.Equal(100, list.Migrations.Single(m => m.Vm == "hist1").Percent);

        fleet.Tell(new FleetProtocol.GetFinal("hist1"));
        var final = ExpectMsg<FleetProtocol.FinalOf>();
        Assert.Equal(("completed", 605L), (final.Final!.Status, final.Final.Downtime));

        // The recovered queue is the live one: a queued move withdrawn now ends cancelled.
        fleet.Tell(new FleetProtocol.CancelQueued("evac5"));
        ExpectMsg<CommandResult>();
        fleet.Tell(FleetProtocol.ListMigrations.Instance);
        Assert.Equal("cancelled", ExpectMsg<FleetProtocol.MigrationList>().Migrations.First(m => m.Vm == "evac5").Status.Name());
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
}
