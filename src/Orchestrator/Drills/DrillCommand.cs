using Orchestrator.Cli;
using Orchestrator.Drills.Files;
using Orchestrator.Drills.InProcess;
using Orchestrator.Drills.Report;

namespace Orchestrator.Drills;

/// <summary>
/// <c>orchestrator drill FILE [--json]</c>: runs a failover drill (docs/drills.md) on an in-process
/// cluster. Exit codes: 0 every expectation held, 1 the drill failed, 2 a bad file or option, or a
/// fault this engine cannot produce (nothing was run).
/// </summary>
public static class DrillCommand
{
    public const string Usage = """
          drill   run a failover drill (docs/drills.md) on an in-process cluster, with its report
                  FILE (.yaml, .yml or .json)  --json (the report as one JSON object)
                  --netns (real network namespaces: not supported yet)
        """;

    public static async Task<int> Run(IReadOnlyList<string> args, TextWriter stdout, TextWriter stderr, CancellationToken cancel)
    {
        var parsed = Arguments.Parse(args, [], ["--json", "--netns"], positionals: true);
        if (parsed.Positionals.Count != 1)
            throw new UsageException("usage: orchestrator drill FILE [--json]  (one drill file; see docs/drills.md)");
        if (parsed.Has("--netns"))
            throw new UsageException("--netns is not supported yet: drills run in-process only (partition, heal and kill); run without --netns");
        Drills.Scenario.Scenario scenario;
        try
        {
            scenario = ScenarioFile.Load(parsed.Positionals[0]);
        }
        catch (ScenarioFileException e)
        {
            throw new UsageException(e.Message);
        }
        DrillReport report;
        try
        {
            var json = parsed.Has("--json");
            report = await Drill.Run(scenario, progress: line => { if (!json) stdout.WriteLine(line); }, cancel: cancel);
        }
        catch (DrillNotSupportedException e)
        {
            throw new UsageException($"{parsed.Positionals[0]}: {e.Message}");
        }
        if (parsed.Has("--json"))
            stdout.WriteLine(JsonReport.Render(report));
        else
        {
            stdout.WriteLine();
            foreach (var line in TextReport.Lines(report))
                stdout.WriteLine(line);
        }
        return report.Passed ? 0 : 1;
    }
}
