using Orchestrator.Actors.Wiring;
using Orchestrator.Cli;

namespace Orchestrator.Node;

/// <summary>The <c>Orchestrator:Store</c> section (<c>ORCHESTRATOR__STORE__PROVIDER</c>, <c>ORCHESTRATOR__STORE__CONNECTIONSTRING</c>).</summary>
public sealed class StoreOptions
{
    /// <summary><c>sqlite</c> (one file under the data directory) or <c>postgresql</c>.</summary>
    public string Provider { get; set; } = "sqlite";

    /// <summary>PostgreSQL only: an Npgsql connection string, e.g. <c>Host=db1;Database=orchestrator;Username=orchestrator;Password=...</c>.</summary>
    public string? ConnectionString { get; set; }

    public FleetStoreOptions Validate(string dataDir)
    {
        switch (Provider.ToLowerInvariant())
        {
            case "sqlite":
                if (string.IsNullOrWhiteSpace(dataDir))
                    throw new UsageException("The sqlite store needs a data directory: --data-dir DIR (or ORCHESTRATOR__DATADIR)");
                if (!string.IsNullOrWhiteSpace(ConnectionString))
                    throw new UsageException("Store:ConnectionString is for postgresql; the sqlite store is a file under --data-dir");
                return FleetStoreOptions.Sqlite(dataDir);
            case "postgresql" or "postgres":
                if (string.IsNullOrWhiteSpace(ConnectionString))
                    throw new UsageException("The postgresql store needs a connection string: ORCHESTRATOR__STORE__CONNECTIONSTRING='Host=...;Database=...;Username=...;Password=...'");
                return FleetStoreOptions.PostgreSql(ConnectionString);
            default:
                throw new UsageException($"Invalid store provider '{Provider}': use sqlite or postgresql");
        }
    }
}
