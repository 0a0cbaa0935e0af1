using Akka.Actor;
using Akka.Configuration;
using Akka.Persistence.Sql;
using Orchestrator.Actors.Fleet.Journal;
using Orchestrator.Actors.Host;
using Orchestrator.Actors.Migration;
using Orchestrator.Actors.Wire;
using Orchestrator.Actors.Wiring;

namespace Orchestrator.Tests;

/// <summary>
/// Configuration for a plain TestKit's own ActorSystem: remoting, the serializers and a fleet store, as
/// <see cref="OrchestratorWiring.WithOrchestrator"/> wires them. Only for unit tests that build single actors
/// on the TestKit's system; a test that needs a node starts one with <see cref="MigrationNode.Start"/>.
/// </summary>
internal static class TestConfig
{
    public static Config Node(FleetStoreOptions? store = null, bool cluster = false) =>
        Store(store ?? FleetStoreOptions.InMemory).WithFallback(ConfigurationFactory.ParseString($$"""
            akka {
              loglevel = WARNING
              stdout-loglevel = OFF
              actor {
                provider = {{(cluster ? "cluster" : "remote")}}
                serializers.migration-wire = "{{Name<MigrationWireSerializer>()}}"
                serializers.host-wire = "{{Name<HostWireSerializer>()}}"
                serializers.fleet-journal = "{{Name<FleetJournalSerializer>()}}"
                serialization-bindings {
                  "{{Name<FleetEvents.IFleetEvent>()}}" = fleet-journal
                  "{{Name<FleetEvents.FleetSnapshot>()}}" = fleet-journal
                  "{{Name<IMigrationWire>()}}" = migration-wire
                  "{{Name<IHostWire>()}}" = host-wire
                }
                serialization-identifiers {
                  "{{Name<MigrationWireSerializer>()}}" = {{MigrationWireSerializer.Id}}
                  "{{Name<HostWireSerializer>()}}" = {{HostWireSerializer.Id}}
                  "{{Name<FleetJournalSerializer>()}}" = {{FleetJournalSerializer.Id}}
                }
              }
              remote.dot-netty.tcp {
                hostname = "127.0.0.1"
                port = 0
                maximum-frame-size = 4194304b
                batching.enabled = false
              }
            }
            """));

    /// <summary>A VM host on a TestKit's system, at its well-known path.</summary>
    public static IActorRef SpawnHost(ActorSystem system, MigrationSettings settings) =>
        system.ActorOf(VmHost.Props(settings, new HostIdentity(system.Name)), VmHost.Name);

    private static Config Store(FleetStoreOptions store)
    {
        if (store.Provider == FleetStoreProvider.InMemory)
        {
            return ConfigurationFactory.ParseString("""
                akka.persistence.journal.plugin = "akka.persistence.journal.inmem"
                akka.persistence.snapshot-store.plugin = "akka.persistence.snapshot-store.inmem"
                """);
        }
        var provider = store.Provider == FleetStoreProvider.Sqlite ? "SQLite.MS" : "PostgreSQL.15";
        var connection = "\"" + store.ConnectionString.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";
        return ConfigurationFactory.ParseString($$"""
            akka.persistence {
              journal {
                plugin = "akka.persistence.journal.sql"
                sql { connection-string = {{connection}}, provider-name = "{{provider}}", auto-initialize = true, recovery-event-timeout = 10s }
              }
              snapshot-store {
                plugin = "akka.persistence.snapshot-store.sql"
                sql { connection-string = {{connection}}, provider-name = "{{provider}}", auto-initialize = true }
              }
            }
            """).WithFallback(SqlPersistence.DefaultConfiguration);
    }

    private static string Name<T>() => $"{typeof(T).FullName}, {typeof(T).Assembly.GetName().Name}";
}
