namespace Orchestrator.Actors.Fleet;

/// <summary>
/// How many migrations may run at once: KubeVirt's defaults (5 per cluster, 2 outbound per node) plus oVirt's inbound limit of 2,
/// so several draining hosts cannot flood one destination.
/// </summary>
public sealed record FleetLimits(int PerCluster = 5, int OutboundPerHost = 2, int InboundPerHost = 2)
{
    /// <summary>Returns this, or throws if a limit could never admit a migration.</summary>
    public FleetLimits Validated()
    {
        // A limit of 0 would queue every migration forever; refuse it up front rather than hang later.
        Require(PerCluster, nameof(PerCluster));
        Require(OutboundPerHost, nameof(OutboundPerHost));
        Require(InboundPerHost, nameof(InboundPerHost));
        return this;
    }

    private static void Require(int value, string name)
    {
        if (value < 1)
            throw new ArgumentException($"{name} must be at least 1, was {value}", name);
    }
}
