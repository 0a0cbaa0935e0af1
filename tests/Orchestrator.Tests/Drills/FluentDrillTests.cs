using Orchestrator.Actors.Migration;
using Orchestrator.Drills.Report;
using Orchestrator.Drills.Scenarios;
using Orchestrator.Testing;
using Xunit;
using Xunit.Abstractions;

namespace Orchestrator.Tests.Drills;

[Trait("Category", "Scenario")]
[Collection(DrillCollection.Name)]
public sealed class FluentDrillTests(ITestOutputHelper output) : ScenarioTestKit(output)
{
    [Fact]
    public async Task A_plain_migration_completes_and_the_VM_runs_on_its_destination()
    {
        var report = await Run(Scenario.Named("plain migration")
            .Hosts(2)
            .Vm("web", on: "host1", ram: 16L << 20)
            .Migrate("web", to: "host2")
            .WaitForMigration("web", within: TimeSpan.FromSeconds(20))
            .Expect.NoLoss().NoDoubleRun().NoDigestMismatch().VmOn("web", "host2", "running").MigrationEnds("web", MigrationStatus.Completed));

        var migration = Assert.Single(report.Migrations);
        Assert.NotNull(migration.DowntimeMs);
        Assert.Equal(["setup", "precopy", "stop-copy", "after-commit"], migration.Phases.Select(p => p.Phase).Where(p => p != "waiting-for-acks"));
    }

    [Fact]
    public async Task A_multifd_migration_sets_its_destination_to_match_and_completes_with_matching_digests()
    {
        // multifd is not negotiated: had the destination kept its default (multifd off), setup would fail with a multifd mismatch.
        var report = await Run(Scenario.Named("multifd migration")
            .Hosts(2)
            .Vm("web", on: "host1", ram: 16L << 20, vgpu: 4L << 20)
            .Migrate("web", to: "host2", capabilities: [("multifd", true)], ("multifd-channels", "4"))
            .WaitForMigration("web", within: TimeSpan.FromSeconds(20))
            .Expect.NoLoss().NoDoubleRun().NoDigestMismatch().VmOn("web", "host2", "running").MigrationEnds("web", MigrationStatus.Completed));

        var migrate = report.Steps[0];
        Assert.Equal("migrate web to host2 with multifd=on, multifd-channels=4", migrate.Text);
        Assert.Null(migrate.Error);
        Assert.StartsWith("host2 takes migrations in with capabilities return-path,switchover-ack,multifd, multifd-channels 4; admitted as ", migrate.Note);
        var migration = Assert.Single(report.Migrations);
        Assert.Equal(("completed", null, 0), (migration.Status, migration.Error, migration.DigestMismatches));
        Assert.Equal(0, report.Invariants.DigestMismatches);
    }

    [Fact]
    public async Task Destination_killed_in_stop_copy_leaves_the_VM_running_on_its_source()
    {
        // Three hosts: with two, keep-majority may down the survivor along with its VMs (docs/drills.md).
        var report = await Run(Scenario.Named("destination dies in stop-copy")
            .Hosts(3)
            .Vm("web", on: "host1", ram: 16L << 20)
            .Migrate("web", to: "host2")
            .KillAt("host2", MigrationPhase.StopCopy, of: "web")
            .WaitForMigration("web", within: TimeSpan.FromSeconds(20))
            .Expect.NoLoss().NoDoubleRun().LostWithHost(0).VmOn("web", "host1", "running").MigrationEnds("web", MigrationStatus.Failed));

        Assert.Equal("killed", report.Hosts.Single(h => h.Name == "host2").Fate);
    }

    [Fact]
    public async Task An_expectation_that_cannot_hold_fails_the_drill_and_says_why()
    {
        var report = await Report(Scenario.Named("wrong expectation")
            .Hosts(2)
            .Vm("web", on: "host1", ram: 16L << 20)
            .Migrate("web", to: "host2")
            .WaitForMigration("web", within: TimeSpan.FromSeconds(20))
            .Expect.NoLoss().VmOn("web", "host1").LostWithHost(1));

        Assert.False(report.Passed);
        Assert.Equal(
            [("lost: 0", true, "lost none"), ("vm web on host1", false, "web is on host2 (running)"), ("lost-with-host: 1", false, "lost-with-host none")],
            report.Expectations.Select(e => (e.Expectation, e.Passed, e.Why)));
        var failure = new ScenarioFailedException(report);
        Assert.Contains("expected vm web on host1, but web is on host2 (running)", failure.Message);
        Assert.DoesNotContain("lost: 0", failure.Message);
        var json = JsonReport.Build(report);
        Assert.False((bool)json["passed"]!);
        Assert.Equal(0, (int)json["lost"]!);
        Assert.Equal(0, (int)json["double-runs"]!);
        Assert.Equal("completed", (string?)json["migrations"]![0]!["status"]);
    }

    [Fact]
    public void A_slow_link_is_refused_in_process_rather_than_faked()
    {
        var scenario = Scenario.Named("slow").Hosts(2).SlowLink("host1", "host2", delay: TimeSpan.FromMilliseconds(50)).Build();

        var refused = Assert.Throws<Orchestrator.Drills.Running.DrillNotSupportedException>(() => Orchestrator.Drills.Running.Drill.CheckSupported(scenario, Orchestrator.Drills.InProcess.InProcessDrill.LinkFaults));
        Assert.Contains("--netns", refused.Message);
    }

    [Fact]
    public async Task Evacuation_moves_headed_for_a_host_that_starts_draining_are_planned_again_elsewhere_and_none_fails()
    {
        // Six 256 MiB VMs leave host1 two at a time, some of them for host2; host2 starts draining meanwhile.
        var scenario = Scenario.Named("evacuate host1, then host2 with host1's moves on their way to it").Hosts(4);
        var vms = Enumerable.Range(1, 6).Select(i => $"app{i}").ToArray();
        foreach (var vm in vms)
            scenario = scenario.Vm(vm, on: "host1", ram: 256L << 20);
        var report = await Run(scenario
            .Evacuate("host1")
            .Evacuate("host2")
            .WaitForEmpty("host1", within: TimeSpan.FromSeconds(90))
            .WaitForEmpty("host2", within: TimeSpan.FromSeconds(60))
            .Expect.NoLoss().NoDoubleRun().NoDigestMismatch().HostEmpty("host1").HostEmpty("host2"));

        // Nothing was refused by the draining host: a move into it was withdrawn or cancelled, and planned again.
        Assert.DoesNotContain(report.Migrations, m => m.Status == "failed");
        Assert.Contains(report.Migrations, m => m.Status == "cancelled" && m.Error?.Contains("host host2 is being evacuated: nothing new lands there") == true);
    }
}
