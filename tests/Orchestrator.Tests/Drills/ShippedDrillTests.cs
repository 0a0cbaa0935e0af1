using Orchestrator.Testing;
using Xunit;
using Xunit.Abstractions;

namespace Orchestrator.Tests.Drills;

/// <summary>Every drill in deploy/drills passes in-process, as shipped (netns-only drills: <see cref="NetnsDrillTests"/>).</summary>
[Trait("Category", "Scenario")]
[Collection(DrillCollection.Name)]
public sealed class ShippedDrillTests(ITestOutputHelper output) : ScenarioTestKit(output)
{
    public static string DrillsFolder
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                var drills = Path.Combine(dir.FullName, "deploy", "drills");
                if (Directory.Exists(drills))
                    return drills;
            }
            throw new DirectoryNotFoundException("deploy/drills not found above the test's folder");
        }
    }

    [Fact]
    public void Every_shipped_drill_has_a_test_here()
    {
        var tested = typeof(ShippedDrillTests).GetMethod(nameof(Shipped_drill_passes))!
            .GetCustomAttributes(typeof(InlineDataAttribute), false).Cast<InlineDataAttribute>()
            .Select(a => (string)a.GetData(null!).Single()[0]).Concat(NetnsDrillTests.NetnsOnly).Order();
        Assert.Equal(Directory.GetFiles(DrillsFolder, "*.yaml").Select(Path.GetFileName).Order(), tested);
    }

    [Theory]
    [InlineData("destination-crash-setup.yaml")]
    [InlineData("destination-crash-precopy.yaml")]
    [InlineData("destination-crash-waiting-for-acks.yaml")]
    [InlineData("destination-crash-stop-copy.yaml")]
    [InlineData("multifd-destination-crash-stop-copy.yaml")]
    [InlineData("destination-crash-after-commit.yaml")]
    [InlineData("source-crash-after-stop.yaml")]
    [InlineData("evacuation-under-partition.yaml")]
    [InlineData("never-acking-device.yaml")]
    [InlineData("corrupted-chunk.yaml")]
    [InlineData("ledger-host-dies-setup.yaml")]
    [InlineData("ledger-host-dies-precopy.yaml")]
    [InlineData("ledger-host-dies-waiting-for-acks.yaml")]
    [InlineData("ledger-host-dies-stop-copy.yaml")]
    [InlineData("ledger-host-dies-after-commit.yaml")]
    public async Task Shipped_drill_passes(string file)
    {
        // Relative, as a user's test names it: found above the test assembly's bin/.
        var report = await RunFile($"deploy/drills/{file}");

        Assert.Empty(report.Invariants.Lost);
        Assert.Empty(report.Invariants.DoubleRuns);
        Assert.All(report.Expectations, e => Assert.True(e.Passed, e.Why));
    }
}
