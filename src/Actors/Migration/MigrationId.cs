namespace Orchestrator.Actors.Migration;

/// <summary>One migration attempt; every message of its conversation carries it.</summary>
public readonly record struct MigrationId(string Value)
{
    public static MigrationId New() => new(Guid.NewGuid().ToString("N")[..12]);

    public override string ToString() => Value;
}
