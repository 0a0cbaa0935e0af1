namespace Orchestrator.Node;

/// <summary>The <c>Orchestrator:Store</c> section (<c>ORCHESTRATOR__STORE__PROVIDER</c>, <c>ORCHESTRATOR__STORE__CONNECTIONSTRING</c>).</summary>
public sealed class StoreOptions
{
    /// <summary><c>sqlite</c> (one file under the data directory) or <c>postgresql</c>.</summary>
    public string Provider { get; set; } = "sqlite";

    /// <summary>PostgreSQL only: an Npgsql connection string, e.g. <c>Host=db1;Database=orchestrator;Username=orchestrator;Password=...</c>.</summary>
    public string? ConnectionString { get; set; }

    public string? Problem(string dataDir) => Provider.ToLowerInvariant() switch
    {
        "sqlite" when string.IsNullOrWhiteSpace(dataDir) => "The sqlite store needs a data directory: --data-dir DIR (or ORCHESTRATOR__DATADIR)",
        "sqlite" when !string.IsNullOrWhiteSpace(ConnectionString) => "Store:ConnectionString is for postgresql; the sqlite store is a file under --data-dir",
        "postgresql" or "postgres" when string.IsNullOrWhiteSpace(ConnectionString) =>
            "The postgresql store needs a connection string: ORCHESTRATOR__STORE__CONNECTIONSTRING='Host=...;Database=...;Username=...;Password=...'",
        "sqlite" or "postgresql" or "postgres" => null,
        _ => $"Invalid store provider '{Provider}': use sqlite or postgresql",
    };

    public FleetStoreOptions ToStore(string dataDir) =>
        Provider.Equals("sqlite", StringComparison.OrdinalIgnoreCase) ? FleetStoreOptions.Sqlite(dataDir) : FleetStoreOptions.PostgreSql(ConnectionString!);
}
