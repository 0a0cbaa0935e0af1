namespace Orchestrator.Actors.Migration;

/// <summary>QEMU's <c>query-migrate</c> answer (MigrationInfo) plus per-device switchover-ack state.</summary>
/// <param name="ExpectedDowntime">ms: the live estimate while active, then the last one made before the switchover.</param>
/// <param name="Downtime">ms, once completed: from stopping the source VM to the destination saying it runs.</param>
public sealed record MigrationInfo(
    MigrationId Id,
    DateTimeOffset StartedAt,
    MigrationStatus Status,
    long TotalTime,
    long SetupTime,
    long? Downtime,
    long? ExpectedDowntime,
    string? ErrorDesc,
    int CpuThrottlePercentage,
    RamInfo Ram,
    IReadOnlyList<DeviceInfo> Devices,
    string SourceVm,
    string DestinationVm,
    bool Verified,
    int PendingAcks,
    long Transferred,
    long Remaining,
    double Mbps) : Wire.IHostWire;

/// <summary>QEMU's MigrationStats for RAM; byte counts are bytes, rates per second.</summary>
public sealed record RamInfo(
    long Transferred,
    long Remaining,
    long Total,
    long Duplicate,
    long Normal,
    long NormalBytes,
    long DirtyPagesRate,
    double Mbps,
    long DirtySyncCount,
    long PageSize,
    long PagesPerSecond,
    long PrecopyBytes,
    long DowntimeBytes);

/// <summary>Per-device view: the name, kind, bytes moved and where its switchover ack stands.</summary>
/// <param name="SwitchoverAck"><c>not-needed</c>, <c>pending</c> or <c>acked</c>.</param>
/// <param name="AckedAt">ms since the migration started, once acked.</param>
/// <param name="MaxInFlight">Most chunks ever unacknowledged on this stream; never above <paramref name="Window"/>.</param>
/// <param name="SourceDigest">The device's digest when the source VM stopped.</param>
/// <param name="DestinationDigest">The destination's digest of the same device once loaded; the VM starts only if equal.</param>
public sealed record DeviceInfo(
    string Name,
    string Kind,
    long Transferred,
    long Remaining,
    string SwitchoverAck,
    long? AckedAt,
    int Window,
    int MaxInFlight,
    string? SourceDigest,
    string? DestinationDigest);

/// <summary>VM instance states as the demo and query-migrate report them.</summary>
public static class VmStates
{
    public const string Running = "running";
    public const string Paused = "paused";
    public const string Stopped = "stopped";
    public const string Absent = "absent";

    /// <summary>A VM instance's run state as these names say it.</summary>
    public static string Of(Devices.Machine.VmRunState state) => state switch
    {
        Devices.Machine.VmRunState.Running => Running,
        Devices.Machine.VmRunState.Paused => Paused,
        _ => Stopped,
    };
}
