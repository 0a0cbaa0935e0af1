using Orchestrator.Actors.Migration;
using Orchestrator.Drills.Scenario;
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
    public async Task Destination_killed_in_stop_copy_leaves_the_VM_running_on_its_source()
    {
        var report = await Run(Scenario.Named("destination dies in stop-copy")
            .Hosts(2)
            .Vm("web", on: "host1", ram: 16L << 20)
            .Migrate("web", to: "host2")
            .KillAt("host2", MigrationPhase.StopCopy, of: "web")
            .WaitForMigration("web", within: TimeSpan.FromSeconds(20))
            .Expect.NoLoss().NoDoubleRun().LostWithHost(0).VmOn("web", "host1", "running").MigrationEnds("web", MigrationStatus.Failed));

        Assert.Equal("killed", report.Hosts.Single(h => h.Name == "host2").Fate);
    }
}
