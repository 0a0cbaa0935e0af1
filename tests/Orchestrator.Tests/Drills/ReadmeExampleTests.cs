using Orchestrator.Actors.Migration;
using Orchestrator.Drills.Scenarios;
using Orchestrator.Testing;
using Xunit;
using Xunit.Abstractions;

namespace Orchestrator.Tests.Drills;

/// <summary>The README's example of the scenario library, word for word, so it keeps compiling and passing.</summary>
[Trait("Category", "Scenario")]
public sealed class ReadmeExampleTests(ITestOutputHelper output) : ScenarioTestKit(output)
{
    [Fact]
    public Task Web_survives_its_destination_dying_in_stop_copy() => Run(Scenario.Named("web: destination dies in stop-copy")
        .Hosts(3)
        .Vm("web", on: "host1", ram: 16L << 20)
        .Migrate("web", to: "host2")
        .KillAt("host2", MigrationPhase.StopCopy, of: "web")
        .WaitForMigration("web")
        .Expect.NoLoss().NoDoubleRun().VmOn("web", "host1", "running").MigrationEnds("web", MigrationStatus.Failed));

    [Fact]
    public Task A_corrupt_copy_never_starts() => Run(Scenario.Named("web: corrupted on its way")
        .Hosts(3)
        .Vm("web", on: "host1", ram: 16L << 20)
        .Corrupt("web")
        .Migrate("web", to: "host2")
        .WaitForMigration("web")
        .Expect.NoLoss().NoDoubleRun().VmOn("web", "host1", "running").MigrationEnds("web", MigrationStatus.Failed));
}
