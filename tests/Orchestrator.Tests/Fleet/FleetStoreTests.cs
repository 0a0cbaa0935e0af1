using Akka.Actor;
using Akka.Configuration;
using Akka.TestKit.Xunit2;
using Npgsql;
using Orchestrator.Actors.Fleet;
using Orchestrator.Actors.Fleet.Journal;
using Orchestrator.Actors.Hosting;
using Orchestrator.Actors.Migration;
using Xunit;
using static Orchestrator.Actors.Fleet.FleetProtocol;
using static Orchestrator.Actors.Fleet.Journal.FleetJournal;

namespace Orchestrator.Tests.Fleet;

/// <summary>
/// The fleet journal through the real SQL plugin: what one coordinator writes, the next one
/// recovers, on SQLite always and on PostgreSQL when CI provides one (ORCHESTRATOR_TEST_POSTGRES).
/// </summary>
public abstract class FleetStoreTests : IDisposable
{
    private readonly FleetStoreOptions _store;
    private readonly List<ActorSystem> _systems = [];

    protected FleetStoreTests(FleetStoreOptions store) => _store = store;

    public void Dispose()
    {
        foreach (var system in _systems)
            system.Terminate().Wait(TimeSpan.FromSeconds(10));
    }

    /// <summary>A node's lifetime: a system with the store's configuration and the fleet's serializer.</summary>
    private (ActorSystem System, TestKit Kit) Node()
    {
        var config = _store.ToConfig().WithFallback(new RemotingOptions(Port: 0).ToConfig());
        var kit = new TestKit(config);
        _systems.Add(kit.Sys);
        return (kit.Sys, kit);
    }

    /// <summary>Starts a store under a parent that hands its Recovered to the probe, as the coordinator would get it.</summary>
    private static (IActorRef Store, Recovered Recovered) Start(TestKit kit)
    {
        var probe = kit.CreateTestProbe();
        var parent = kit.Sys.ActorOf(Props.Create(() => new StoreParent(probe.Ref)));
        var recovered = probe.ExpectMsg<Recovered>(TimeSpan.FromSeconds(30));
        var store = probe.ExpectMsg<IActorRef>(TimeSpan.FromSeconds(5));
        return (store, recovered);
    }

    private static MigrationRecord Record(string vm, string from, string to, MigrationStatus status = MigrationStatus.Queued) =>
        new(new MigrationId($"id-{vm}"), vm, from, to, status, 0, 32 << 20, 0, 0, null, MigrationPriority.Evacuation, DateTimeOffset.UtcNow);

    private static MigrationInfo Final(string vm) => new(
        new MigrationId($"id-{vm}"), DateTimeOffset.UtcNow, MigrationStatus.Completed, 812, 12, 85, 60, null, 0,
        new RamInfo(33554432, 0, 33554432, 7000, 1192, 4882432, 0, 1100.5, 3, 4096, 0, 30000000, 3554432),
        [new DeviceInfo("ram", "ram", 33554432, 0, "not-needed", null, 32, 32, "ab12", "ab12")],
        "stopped", "running", true, 0, 33554432, 0, 1100.5);

    private static void Write(TestKit kit, IActorRef store, IFleetEvent e)
    {
        store.Tell(e, kit.TestActor);
        kit.ExpectMsg<Written>(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task A_new_store_recovers_queued_and_running_migrations_evacuations_history_and_placement()
    {
        var (_, first) = Node();
        var (store, recovered) = Start(first);
        Assert.Empty(recovered.State.Active);

        Write(first, store, new EvacuationBegan("host2"));
        Write(first, store, new MigrationQueued(Record("vm1", "host2", "host3"), 32 << 20, null, [("max-bandwidth", "100M")], TimeoutAction.Pause, "host2"));
        Write(first, store, new MigrationQueued(Record("vm2", "host2", "host4"), 32 << 20, null, null, TimeoutAction.Abort, "host2"));
        Write(first, store, new MigrationQueued(Record("vm3", "host2", "host3"), 32 << 20, null, null, TimeoutAction.Abort, "host2"));
        var started = DateTimeOffset.UtcNow;
        Write(first, store, new PermitGranted("vm1", new MigrationId("id-vm1"), started));
        Write(first, store, new PermitGranted("vm2", new MigrationId("id-vm2"), started));
        Write(first, store, new MigrationEnded(Record("vm2", "host2", "host4", MigrationStatus.Completed), Final("vm2")));
        Write(first, store, new MigrationEnded(Record("vm3", "host2", "host3", MigrationStatus.Failed) with { Reason = "host host3 is not up" }, null));
        var due = DateTimeOffset.UtcNow.AddSeconds(20);
        Write(first, store, new RetryScheduled("host2", "vm3", 1, due));
        Write(first, store, new PlacementSeen("vm9", "host1"));
        await first.Sys.Terminate(); // the singleton's node goes away

        var (_, second) = Node();
        var state = Start(second).Recovered.State;
        var active = Assert.Single(state.Active);
        Assert.Equal("vm1", active.Record.Vm);
        Assert.Equal(MigrationStatus.Setup, active.Record.Status);
        Assert.Equal(started.ToUnixTimeMilliseconds(), active.StartedAt!.Value.ToUnixTimeMilliseconds());
        Assert.Equal(TimeoutAction.Pause, active.OnTimeout);
        Assert.Equal([("max-bandwidth", "100M")], active.Parameters!);
        var job = Assert.Single(state.Evacuations);
        Assert.Equal("host2", job.Host);
        Assert.Equal(["vm1", "vm2", "vm3"], job.Vms);
        Assert.Equal(1, job.Attempts["vm3"]);
        Assert.Equal(due.ToUnixTimeMilliseconds(), job.RetryDue["vm3"].ToUnixTimeMilliseconds());
        Assert.Equal(["host2"], state.Draining);
        var completed = Assert.Single(state.Finished, f => f.Record.Vm == "vm2");
        Assert.Equal(MigrationStatus.Completed, completed.Record.Status);
        Assert.Equal(85, completed.Final!.Downtime);
        Assert.Equal("ab12", completed.Final.Devices[0].DestinationDigest);
        Assert.Equal("host host3 is not up", Assert.Single(state.Finished, f => f.Record.Vm == "vm3").Record.Reason);
        Assert.Equal("host4", state.Placement["vm2"]);
        Assert.Equal("host1", state.Placement["vm9"]);
    }

    [Fact]
    public async Task Recovery_from_a_snapshot_and_the_events_after_it_gives_the_same_state()
    {
        var (_, first) = Node();
        var (store, _) = Start(first);
        var expected = new FleetState();
        // More events than a snapshot interval, so the second store starts from a snapshot.
        for (var i = 0; i < SnapshotEvery + 30; i++)
        {
            IFleetEvent e = i % 3 == 0
                ? new MigrationQueued(Record($"vm{i}", "host1", "host2"), 1 << 20, null, null, TimeoutAction.Abort, null)
                : i % 3 == 1
                    ? new PermitGranted($"vm{i - 1}", new MigrationId($"id-vm{i - 1}"), DateTimeOffset.UnixEpoch.AddSeconds(i))
                    : new MigrationEnded(Record($"vm{i - 2}", "host1", "host2", MigrationStatus.Completed), null);
            Write(first, store, e);
            expected.Apply(e);
        }
        Write(first, store, new MigrationQueued(Record("last", "host1", "host3"), 1 << 20, null, null, TimeoutAction.Abort, null));
        expected.Apply(new MigrationQueued(Record("last", "host1", "host3"), 1 << 20, null, null, TimeoutAction.Abort, null));
        await first.Sys.Terminate();

        var (_, second) = Node();
        var state = Start(second).Recovered.State;
        var want = expected.ToSnapshot();
        Assert.Equal(want.Active.Select(a => a.Record.Vm), state.Active.Select(a => a.Record.Vm));
        Assert.Equal(want.Placement.OrderBy(p => p.Key), state.Placement.OrderBy(p => p.Key));
        Assert.Equal(want.Finished.Count, state.Finished.Count);
    }

    private sealed class StoreParent : ReceiveActor
    {
        public StoreParent(IActorRef probe)
        {
            var store = Context.ActorOf(FleetStore.Props(5), "store");
            Receive<Recovered>(r =>
            {
                probe.Tell(r);
                probe.Tell(store);
            });
        }
    }
}

public sealed class SqliteFleetStoreTests() : FleetStoreTests(
    FleetStoreOptions.Sqlite(Directory.CreateTempSubdirectory("orchestrator-store-").FullName));

/// <summary>Runs when ORCHESTRATOR_TEST_POSTGRES names a server (CI starts one); each test in a schema of its own.</summary>
public sealed class PostgreSqlFleetStoreTests() : FleetStoreTests(PostgreSqlStore.Fresh())
{
}

internal static class PostgreSqlStore
{
    private static readonly HashSet<string> Cleaned = [];

    /// <summary>The schemas of earlier test runs, dropped once per run so the test database does not grow.</summary>
    private static void DropEarlierSchemas(NpgsqlConnection db)
    {
        var schemas = new List<string>();
        using (var list = new NpgsqlCommand("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'fleet\\_%'", db))
        using (var reader = list.ExecuteReader())
        {
            while (reader.Read())
                schemas.Add(reader.GetString(0));
        }
        foreach (var schema in schemas)
        {
            using var drop = new NpgsqlCommand($"DROP SCHEMA IF EXISTS {schema} CASCADE", db);
            drop.ExecuteNonQuery();
        }
    }

    public static string? Connection =>
        Environment.GetEnvironmentVariable("ORCHESTRATOR_TEST_POSTGRES") is { Length: > 0 } c && c != "skip" ? c : null;

    /// <summary>A fresh schema, so every test starts from an empty journal; SQLite when no server is configured.</summary>
    public static FleetStoreOptions Fresh() =>
        FreshConnection() is { } connection
            ? FleetStoreOptions.PostgreSql(connection)
            : FleetStoreOptions.Sqlite(Directory.CreateTempSubdirectory("orchestrator-store-").FullName);

    /// <summary>A connection string to a new, empty schema of the test server; null without one.</summary>
    public static string? FreshConnection()
    {
        if (Connection is not { } connection)
            return null;
        var schema = $"fleet_{Guid.NewGuid():N}"[..20];
        using var db = new NpgsqlConnection(connection);
        db.Open();
        lock (Cleaned)
        {
            if (Cleaned.Add(connection))
                DropEarlierSchemas(db);
        }
        using var create = new NpgsqlCommand($"CREATE SCHEMA {schema}", db);
        create.ExecuteNonQuery();
        return $"{connection};Search Path={schema}";
    }
}
