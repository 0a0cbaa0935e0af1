using static Orchestrator.Actors.Fleet.Journal.FleetEvents;

namespace Orchestrator.Actors.Fleet.Journal;

/// <summary>One admitted migration as the fleet's durable state holds it: queued, running or finished.</summary>
/// <param name="StartedAt">When its permit was granted (the completion timeout counts from here); null while queued.</param>
/// <param name="Intervention">Why the fleet stepped in, once it has; its record keeps this reason.</param>
/// <param name="Redirected">Cancelled because its destination began to drain: an evacuation move is planned again at once.</param>
/// <param name="Timeout">Its own completion timeout (<c>migrate --timeout</c>); null: the fleet's per-GiB rule.</param>
internal sealed record FleetMigration(
    MigrationId Id,
    string Vm,
    string Source,
    string Destination,
    MigrationPriority Kind,
    long Size,
    DateTimeOffset AdmittedAt,
    MigrationCapabilities? Capabilities,
    IReadOnlyList<(string Name, string Value)>? Parameters,
    TimeoutAction OnTimeout,
    string? Evacuation,
    DateTimeOffset? StartedAt = null,
    string? Intervention = null,
    bool Redirected = false,
    TimeSpan? Timeout = null)
{
    public bool Started => StartedAt is not null;

    public static FleetMigration From(MigrationQueued q) => new(
        new MigrationId(q.Id), q.Vm, q.Source, q.Destination, ContractNames.Kind(q.Kind), q.Size, q.AdmittedAt,
        q.Capabilities is null ? null : MigrationCapabilities.ParseList(q.Capabilities),
        q.Parameters?.Select(p => (p.Name, p.Value)).ToArray(),
        ContractNames.OnTimeout(q.OnTimeout), q.Evacuation, Timeout: q.TimeoutMs is { } ms ? TimeSpan.FromMilliseconds(ms) : null);

    public MigrationQueued ToEvent() => new(
        Id.Value, Vm, Source, Destination, ContractNames.Of(Kind), Size, AdmittedAt,
        Capabilities?.ToString(), Parameters?.Select(p => new Setting(p.Name, p.Value)).ToArray(),
        ContractNames.Of(OnTimeout), Evacuation, Timeout is { } t ? (long)t.TotalMilliseconds : null);
}

/// <summary>A finished migration: what it was and how it ended.</summary>
internal sealed record FinishedMigration(FleetMigration Migration, MigrationOutcome Outcome)
{
    public MigrationStatus Status => ContractNames.Status(Outcome.Status);
}

/// <summary>The contracts' stable names for the fleet's enums: QEMU's and KubeVirt's words, lower case.</summary>
internal static class ContractNames
{
    public static string Of(MigrationPriority kind) => kind == MigrationPriority.Evacuation ? "evacuation" : "user";

    public static MigrationPriority Kind(string name) => name switch
    {
        "evacuation" => MigrationPriority.Evacuation,
        "user" => MigrationPriority.User,
        _ => throw new FormatException($"unknown migration kind '{name}' in the fleet journal"),
    };

    public static string Of(TimeoutAction action) => action == TimeoutAction.Pause ? "pause" : "abort";

    public static TimeoutAction OnTimeout(string name) => name switch
    {
        "abort" => TimeoutAction.Abort,
        "pause" => TimeoutAction.Pause,
        _ => throw new FormatException($"unknown timeout action '{name}' in the fleet journal"),
    };

    public static MigrationStatus Status(string name) =>
        Enum.GetValues<MigrationStatus>().Where(s => s.Name() == name).Cast<MigrationStatus?>().FirstOrDefault()
        ?? throw new FormatException($"unknown migration status '{name}' in the fleet journal");
}
