using Orchestrator.Drills.Report;

namespace Orchestrator.Drills.InProcess;

/// <summary>The in-process engine: every host an ActorSystem in this process (<see cref="InProcessCluster"/>), run by <see cref="Drill"/>.</summary>
public static class InProcessDrill
{
    private const string NeedsNetns =
        "needs delay, rate or loss on a real link (network namespaces, --netns), which the in-process engine cannot produce; " +
        "run the drill with --netns (root), or remove the step to run it in-process";

    /// <summary>No link to shape at all.</summary>
    public static readonly LinkFaults LinkFaults = new(NeedsNetns, NeedsNetns, NeedsNetns, NeedsNetns);

    /// <summary>Runs the scenario to its end and reports; throws <see cref="DrillNotSupportedException"/> before starting anything it cannot do.</summary>
    /// <param name="progress">Each step as it starts and ends, for a person watching.</param>
    public static Task<DrillReport> Run(Scenarios.Scenario scenario, DrillOptions? options = null, Action<string>? progress = null, CancellationToken cancel = default)
    {
        var settings = options ?? new DrillOptions();
        return Drill.Run(scenario, LinkFaults, async token => await InProcessCluster.Start(scenario.Hosts, settings, token), "in-process", settings, progress, cancel);
    }
}
