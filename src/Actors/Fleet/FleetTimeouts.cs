namespace Orchestrator.Actors.Fleet;

/// <summary>What the fleet does to a migration that runs out of time.</summary>
public enum TimeoutAction
{
    /// <summary>Cancel it: the VM stays on its source (the default, as in KubeVirt).</summary>
    Abort,

    /// <summary>Stop the guest so the migration converges: QEMU's non-live migration.</summary>
    Pause,
}

/// <summary>
/// KubeVirt's migration timeouts. Completion: <see cref="CompletionPerGiB"/> per GiB of VM state (at least one GiB's worth).
/// Progress: no drop in remaining bytes for <see cref="Progress"/>.
/// </summary>
public sealed record FleetTimeouts(TimeSpan CompletionPerGiB, TimeSpan Progress, TimeoutAction Action = TimeoutAction.Abort)
{
    public static readonly FleetTimeouts Default = new(TimeSpan.FromSeconds(150), TimeSpan.FromSeconds(150));

    public TimeSpan CompletionFor(long bytes) =>
        CompletionPerGiB * Math.Max(1.0, bytes / (double)(1L << 30));
}
