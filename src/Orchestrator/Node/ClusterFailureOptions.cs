namespace Orchestrator.Node;

/// <summary>The <c>Orchestrator:Cluster</c> section (<c>ORCHESTRATOR__CLUSTER__DOWNAFTER</c>, ...): when a silent node is gone (docs/cluster.md).</summary>
public sealed class ClusterFailureOptions
{
    /// <summary>Seconds a peer's heartbeats may be missing before it is unreachable.</summary>
    public double HeartbeatPause { get; set; } = 8;

    /// <summary>Seconds an unreachable node stays so before keep-majority downs it (stable-after).</summary>
    public double DownAfter { get; set; } = 15;

    public string? Problem() =>
        HeartbeatPause is < 2 or > 120 ? $"Invalid Cluster:HeartbeatPause {HeartbeatPause}: use 2 to 120 seconds"
        : DownAfter is < 2 or > 600 ? $"Invalid Cluster:DownAfter {DownAfter}: use 2 to 600 seconds"
        : null;

    public MembershipOptions Membership(IReadOnlyList<Address> seeds) =>
        new(seeds, TimeSpan.FromSeconds(HeartbeatPause), TimeSpan.FromSeconds(DownAfter));
}
