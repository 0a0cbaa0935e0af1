using Orchestrator.Drills.Files;
using Orchestrator.Drills.InProcess;
using Orchestrator.Drills.Netns;
using Orchestrator.Drills.Report;
using Orchestrator.Drills.Running;

namespace Orchestrator.Drills;

/// <summary>
/// <c>orchestrator drill FILE [--json] [--netns]</c>: a failover drill (docs/drills.md) in process, or with <c>--netns</c> on nodes in network
/// namespaces (root). Exit codes: 0 all expectations held, 1 failed, 2 bad file or option or a fault this engine cannot produce (nothing run), 130 Ctrl+C.
/// </summary>
public static class DrillCommand
{
    public const string Usage = """
          drill   run a failover drill (docs/drills.md) on an in-process cluster, with its report
                  FILE (.yaml, .yml or .json)  --json (the report as one JSON object)
                  --netns (each host a node process in its own network namespace, deploy/netns/cluster.sh;
                  needs root; slow-link and clear-link steps run only here)
        """;

    public static async Task<int> Run(IReadOnlyList<string> args, TextWriter stdout, TextWriter stderr, CancellationToken cancel)
    {
        var parsed = Arguments.Parse(args, [], ["--json", "--netns"], positionals: true);
        if (parsed.Positionals.Count != 1)
            throw new UsageException("usage: orchestrator drill FILE [--json] [--netns]  (one drill file; see docs/drills.md)");
        var netns = parsed.Has("--netns");
        if (netns && !(OperatingSystem.IsLinux() && Environment.IsPrivilegedProcess))
            throw new UsageException("--netns needs root (network namespaces); run as root or drop --netns");
        string? script = null;
        if (netns)
        {
            try
            {
                script = NetnsDrillCluster.FindScript();
            }
            catch (FileNotFoundException e)
            {
                throw new UsageException($"--netns: {e.Message}");
            }
        }
        Drills.Scenarios.Scenario scenario;
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
            Action<string> progress = line => { if (!json) stdout.WriteLine(line); };
            var options = new DrillOptions();
            report = netns
                ? await Drill.Run(scenario, await NetnsDrillCluster.ProbeLinkFaults(script!, cancel),
                    async token => await NetnsDrillCluster.Start(script!, scenario.Hosts, options, progress, token), "netns",
                    options with { PollInterval = TimeSpan.FromMilliseconds(200) }, progress, cancel)
                : await InProcessDrill.Run(scenario, progress: progress, cancel: cancel);
        }
        catch (DrillNotSupportedException e)
        {
            throw new UsageException($"{parsed.Positionals[0]}: {e.Message}");
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            // Ctrl+C: the drill disposed its cluster on the way out; no report, and no stack trace.
            stderr.WriteLine("drill interrupted; its cluster was stopped");
            return 130;
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
