namespace Orchestrator.Actors.Wiring;

public enum FleetStoreProvider
{
    /// <summary>One file: a cluster whose nodes share a machine (or a disk).</summary>
    Sqlite,

    /// <summary>A server: a cluster across machines.</summary>
    PostgreSql,

    /// <summary>Akka's in-memory journal: in-process drills and tests, where nothing outlives the process.</summary>
    InMemory,
}

/// <summary>Where the fleet coordinator keeps its journal and snapshots.</summary>
public sealed record FleetStoreOptions(FleetStoreProvider Provider, string ConnectionString)
{
    public const string SqliteFile = "fleet.db";

    public static FleetStoreOptions Sqlite(string dataDirectory) =>
        new(FleetStoreProvider.Sqlite, $"Data Source={Path.Combine(Path.GetFullPath(dataDirectory), SqliteFile)}");

    public static FleetStoreOptions PostgreSql(string connectionString) => new(FleetStoreProvider.PostgreSql, connectionString);

    public static readonly FleetStoreOptions InMemory = new(FleetStoreProvider.InMemory, "");

    /// <summary>What a person reads in a log line: never the password of a connection string.</summary>
    public override string ToString() => Provider switch
    {
        FleetStoreProvider.Sqlite => $"sqlite ({ConnectionString["Data Source=".Length..]})",
        FleetStoreProvider.PostgreSql => "postgresql",
        _ => "in-memory",
    };
}
