using Akka.Configuration;
using Akka.Persistence.Sql;

namespace Orchestrator.Actors.Hosting;

/// <summary>The fleet store's options as Akka.Persistence configuration, in one place.</summary>
public static class FleetStoreConfig
{
    public static Config ToConfig(this FleetStoreOptions options)
    {
        if (options.Provider == FleetStoreProvider.InMemory)
        {
            return ConfigurationFactory.ParseString("""
                akka.persistence.journal.plugin = "akka.persistence.journal.inmem"
                akka.persistence.snapshot-store.plugin = "akka.persistence.snapshot-store.inmem"
                """);
        }
        // Linq2Db's provider names; the schema is created on start (auto-initialize).
        var provider = options.Provider == FleetStoreProvider.Sqlite ? "SQLite.MS" : "PostgreSQL.15";
        var connection = Quote(options.ConnectionString);
        var hocon = $$"""
            akka.persistence {
              journal {
                plugin = "akka.persistence.journal.sql"
                sql {
                  connection-string = {{connection}}
                  provider-name = "{{provider}}"
                  auto-initialize = true
                  # A journal that cannot be read stops the singleton after this (it backs off and tries again),
                  # instead of Akka's 30 s with every command waiting.
                  recovery-event-timeout = 10s
                }
              }
              snapshot-store {
                plugin = "akka.persistence.snapshot-store.sql"
                sql {
                  connection-string = {{connection}}
                  provider-name = "{{provider}}"
                  auto-initialize = true
                }
              }
            }
            """;
        return ConfigurationFactory.ParseString(hocon).WithFallback(SqlPersistence.DefaultConfiguration);
    }

    private static string Quote(string text) => "\"" + text.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";
}
