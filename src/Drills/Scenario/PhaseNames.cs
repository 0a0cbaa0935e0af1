using Orchestrator.Actors.Migration;

namespace Orchestrator.Drills.Scenario;

/// <summary>The file format's names of <see cref="MigrationPhase"/>s.</summary>
public static class PhaseNames
{
    public static readonly IReadOnlyDictionary<string, MigrationPhase> ByName = new Dictionary<string, MigrationPhase>
    {
        ["setup"] = MigrationPhase.Setup,
        ["precopy"] = MigrationPhase.Precopy,
        ["waiting-for-acks"] = MigrationPhase.WaitingForAcks,
        ["stop-copy"] = MigrationPhase.StopCopy,
        ["after-commit"] = MigrationPhase.AfterCommit,
    };

    public static string Name(this MigrationPhase phase) => ByName.First(kv => kv.Value == phase).Key;
}
