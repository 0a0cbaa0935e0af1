using Akka.Actor;
using Akka.Configuration;
using Akka.Persistence;
using Akka.TestKit.Xunit2;
using Npgsql;
using Orchestrator.Actors.Fleet;
using Orchestrator.Actors.Fleet.Journal;
using Orchestrator.Actors.Migration;
using Orchestrator.Actors.Wiring;
using Xunit;
using static Orchestrator.Actors.Fleet.FleetProtocol;
using static Orchestrator.Actors.Fleet.Journal.FleetEvents;

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
        var kit = new TestKit(TestSystem.Start(store: _store));
        _systems.Add(kit.Sys);
        return (kit.Sys, kit);
    }

    /// <summary>Starts the journal as the coordinator would find it, and the state it recovers.</summary>
    private static (IActorRef Journal, FleetState State) Start(TestKit kit)
    {
        var probe = kit.CreateTestProbe();
        var journal = kit.Sys.ActorOf(FleetJournalProbe.Props(probe.Ref));
        return (journal, probe.ExpectMsg<FleetJournalProbe.Recovered>(TimeSpan.FromSeconds(30)).State);
    }

    private static MigrationQueued Queued(string vm, string from, string to, string? evacuation = null, IReadOnlyList<Setting>? parameters = null, string onTimeout = "abort") =>
        new($"id-{vm}", vm, from, to, "evacuation", 32 << 20, DateTimeOffset.UtcNow, null, parameters, onTimeout, evacuation);

    private static MigrationOutcome Outcome(string status, string? reason = null) =>
        new(status, reason, 33554432, 0, 3, status == "completed" ? 100 : 40, DateTimeOffset.UtcNow, 812, status == "completed" ? 85 : null, 12, 33554432);

    private static void Write(TestKit kit, IActorRef journal, IFleetEvent e)
    {
        journal.Tell(e, kit.TestActor);
        kit.ExpectMsg<FleetJournalProbe.Written>(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task A_new_coordinator_recovers_queued_and_running_migrations_evacuations_history_and_placement()
    {
        var (_, first) = Node();
        var (journal, recovered) = Start(first);
        Assert.Empty(recovered.Active);

        Write(first, journal, new EvacuationBegan("host2"));
        Write(first, journal, Queued("vm1", "host2", "host3", "host2", [new Setting("max-bandwidth", "100M")], onTimeout: "pause"));
        Write(first, journal, Queued("vm2", "host2", "host4", "host2"));
        Write(first, journal, Queued("vm3", "host2", "host3", "host2"));
        var started = DateTimeOffset.UtcNow;
        Write(first, journal, new PermitGranted("vm1", "id-vm1", started));
        Write(first, journal, new PermitGranted("vm2", "id-vm2", started));
        Write(first, journal, new MigrationIntervened("vm1", "id-vm1", "progress timeout (3 s without a drop in remaining bytes) expired: guest paused", false));
        Write(first, journal, new MigrationEnded("vm2", "id-vm2", Outcome("completed")));
        Write(first, journal, new MigrationEnded("vm3", "id-vm3", Outcome("failed", "host host3 is not up")));
        var due = DateTimeOffset.UtcNow.AddSeconds(20);
        Write(first, journal, new RetryScheduled("host2", "vm3", 1, due));
        Write(first, journal, new PlacementSeen("vm9", "host1"));
        await first.Sys.Terminate(); // the singleton's node goes away

        var (_, second) = Node();
        var state = Start(second).State;
        var active = Assert.Single(state.Active.Values);
        Assert.Equal(("vm1", true, TimeoutAction.Pause), (active.Vm, active.Started, active.OnTimeout));
        Assert.Equal(started.ToUnixTimeMilliseconds(), active.StartedAt!.Value.ToUnixTimeMilliseconds());
        Assert.Equal([("max-bandwidth", "100M")], active.Parameters!);
        Assert.StartsWith("progress timeout", active.Intervention);
        Assert.True(state.Permits.Holds("vm1"));
        Assert.Equal((1, 0), (state.Permits.HeldCount, state.Permits.Queued.Count));
        var job = Assert.Single(state.Evacuations.Values);
        Assert.Equal("host2", job.Host);
        Assert.Equal(["vm1", "vm2", "vm3"], job.Vms.Order());
        Assert.Equal(1, job.Attempts["vm3"]);
        Assert.Equal(due.ToUnixTimeMilliseconds(), job.RetryDue["vm3"].ToUnixTimeMilliseconds());
        Assert.Equal(["host2"], state.Draining);
        var completed = Assert.Single(state.Finished["vm2"]);
        Assert.Equal((MigrationStatus.Completed, 85L, 100), (completed.Status, completed.Outcome.Downtime, completed.Outcome.Percent));
        Assert.Equal("host host3 is not up", Assert.Single(state.Finished["vm3"]).Outcome.Reason);
        Assert.Equal("host4", state.Placement["vm2"]);
        Assert.Equal("host1", state.Placement["vm9"]);
    }

    [Fact]
    public async Task Recovery_from_a_snapshot_and_the_events_after_it_gives_the_same_state()
    {
        var (_, first) = Node();
        var (journal, _) = Start(first);
        var expected = new FleetState(new FleetLimits());
        void Both(IFleetEvent e)
        {
            Write(first, journal, e);
            expected.Apply(e);
        }
        for (var i = 0; i < 30; i++)
        {
            IFleetEvent e = (i % 3) switch
            {
                0 => Queued($"vm{i}", "host1", "host2"),
                1 => new PermitGranted($"vm{i - 1}", $"id-vm{i - 1}", DateTimeOffset.UnixEpoch.AddSeconds(i)),
                _ => new MigrationEnded($"vm{i - 2}", $"id-vm{i - 2}", Outcome("completed")),
            };
            Both(e);
        }
        Both(new EvacuationBegan("host1"));
        Both(Queued("queued", "host1", "host3", "host1"));
        Both(Queued("running", "host1", "host2", "host1"));
        Both(new PermitGranted("running", "id-running", DateTimeOffset.UnixEpoch));
        journal.Tell(FleetJournalProbe.TakeSnapshot.Instance, first.TestActor);
        first.ExpectMsg<SaveSnapshotSuccess>(TimeSpan.FromSeconds(10));
        Both(Queued("last", "host2", "host3"));
        Both(new PlacementSeen("vm1", "host2"));
        await first.Sys.Terminate();

        var (_, second) = Node();
        var state = Start(second).State;
        Assert.Equal(expected.ActiveInOrder.Select(a => $"{a.Vm} {a.Started}"), state.ActiveInOrder.Select(a => $"{a.Vm} {a.Started}"));
        Assert.Equal(expected.Permits.Queued.Select(q => q.Vm), state.Permits.Queued.Select(q => q.Vm));
        Assert.Equal(expected.Permits.Held.Select(q => q.Vm), state.Permits.Held.Select(q => q.Vm));
        Assert.Equal(expected.Placement.OrderBy(p => p.Key), state.Placement.OrderBy(p => p.Key));
        Assert.Equal(expected.Finished.Keys.Order(), state.Finished.Keys.Order());
        Assert.Equal(["queued", "running"], state.Evacuations["host1"].Vms.Order());
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
