namespace Orchestrator.Actors.Migration;

/// <summary>QEMU's MigrationStatus values that this engine uses, with their wire names.</summary>
public enum MigrationStatus
{
    None,

    /// <summary>Admitted by the fleet, waiting for a permit (not a QEMU state).</summary>
    Queued,
    Setup,
    Active,
    PreSwitchover,
    Device,
    Completed,
    Failed,
    Cancelling,
    Cancelled,
}

public static class MigrationStatusNames
{
    public static string Name(this MigrationStatus status) => status switch
    {
        MigrationStatus.None => "none",
        MigrationStatus.Queued => "queued",
        MigrationStatus.Setup => "setup",
        MigrationStatus.Active => "active",
        MigrationStatus.PreSwitchover => "pre-switchover",
        MigrationStatus.Device => "device",
        MigrationStatus.Completed => "completed",
        MigrationStatus.Failed => "failed",
        MigrationStatus.Cancelling => "cancelling",
        MigrationStatus.Cancelled => "cancelled",
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, null),
    };

    public static bool IsTerminal(this MigrationStatus status) =>
        status is MigrationStatus.Completed or MigrationStatus.Failed or MigrationStatus.Cancelled;
}
