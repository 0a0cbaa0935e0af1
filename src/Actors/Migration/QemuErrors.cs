namespace Orchestrator.Actors.Migration;

/// <summary>QEMU's error texts that we keep word for word (migration/migration.c), in one place.</summary>
internal static class QemuErrors
{
    /// <summary>A second migrate, or a change that cannot happen beside a running migration.</summary>
    public const string InProgress = "There's a migration process in progress";

    /// <summary>migrate-continue or a pause when the migration is not where the command needs it; <paramref name="state"/> is QEMU's state name.</summary>
    public static string NotInExpectedState(string state) => $"Migration not in expected state: {state}";
}
