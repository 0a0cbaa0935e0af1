using Akka.TestKit.Xunit2;
using Orchestrator.Drills.Files;
using Orchestrator.Drills.InProcess;
using Orchestrator.Drills.Report;
using Orchestrator.Drills.Running;
using Orchestrator.Drills.Scenarios;
using Xunit.Abstractions;

namespace Orchestrator.Testing;

/// <summary>
/// Base class for xUnit tests that run failover drills in-process:
/// <code>
/// public sealed class WebTests(ITestOutputHelper output) : ScenarioTestKit(output)
/// {
///     [Fact]
///     public Task Survives_a_destination_crash() => Run(Scenario.Named("...").Hosts(2).Vm("web", on: "host1")
///         .Migrate("web", to: "host2").KillAt("host2", MigrationPhase.StopCopy, of: "web").WaitForMigration("web")
///         .Expect.NoLoss().NoDoubleRun().VmOn("web", "host1"));
/// }
/// </code>
/// Each run writes its report to the test's output; a drill that did not pass fails the test, listing failed expectations and errors.
/// </summary>
public abstract class ScenarioTestKit : TestKit
{
    protected ScenarioTestKit(ITestOutputHelper output, DrillOptions? options = null)
        : base((Akka.Configuration.Config?)null, output: output)
    {
        Options = options ?? new DrillOptions();
    }

    protected DrillOptions Options { get; }

    /// <summary>Runs the drill (a <see cref="Scenario"/> or its builder) and fails the test unless it passed; returns the report for further assertions.</summary>
    protected async Task<DrillReport> Run(IScenarioSource scenario) => Passed(await Report(scenario));

    /// <summary>Runs a drill file (YAML or JSON) and fails the test unless it passed; a relative path as <see cref="DrillFiles.Resolve"/> finds it.</summary>
    protected async Task<DrillReport> RunFile(string path)
    {
        var testDirectory = Path.GetDirectoryName(GetType().Assembly.Location) is { Length: > 0 } dir ? dir : AppContext.BaseDirectory;
        return Passed(await Report(ScenarioFile.Load(DrillFiles.Resolve(path, testDirectory, Directory.GetCurrentDirectory()))));
    }

    /// <summary>Runs the drill and returns its report whatever the verdict, for tests about failing drills.</summary>
    protected async Task<DrillReport> Report(IScenarioSource scenario)
    {
        var report = await InProcessDrill.Run(scenario.Build(), Options, line => Output?.WriteLine(line));
        Output?.WriteLine("");
        foreach (var line in TextReport.Lines(report))
            Output?.WriteLine(line);
        return report;
    }

    private static DrillReport Passed(DrillReport report)
    {
        if (!report.Passed)
            throw new ScenarioFailedException(report);
        return report;
    }
}
