namespace Orchestrator.Actors.Migration;

/// <summary>QEMU's MigrationStatus values that this engine uses; <see cref="MigrationStatusNames.Name"/> gives QEMU's name.</summary>
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
    /// <summary>QEMU's name is the value's in kebab case: <c>setup</c>, <c>pre-switchover</c>, <c>completed</c>.</summary>
    public static string Name(this MigrationStatus status) => JsonNamingPolicy.KebabCaseLower.ConvertName(status.ToString());

    public static bool IsTerminal(this MigrationStatus status) =>
        status is MigrationStatus.Completed or MigrationStatus.Failed or MigrationStatus.Cancelled;
}
