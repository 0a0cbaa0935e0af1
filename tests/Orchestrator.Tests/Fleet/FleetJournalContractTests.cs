using Akka.Actor;
using Akka.TestKit.Xunit2;
using Orchestrator.Actors.Fleet;
using Orchestrator.Actors.Fleet.Journal;
using Orchestrator.Actors.Migration;
using Xunit;
using static Orchestrator.Actors.Fleet.Journal.FleetEvents;

namespace Orchestrator.Tests.Fleet;

/// <summary>A migration's own timeout is kept in the journal, and entries written before it existed still read.</summary>
public sealed class FleetJournalContractTests() : TestKit(TestSystem.Start())
{
    private static FleetMigration Migration(TimeSpan? timeout) => new(
        new MigrationId("m1"), "vm1", "host1", "host2", MigrationPriority.User, 1L << 30, DateTimeOffset.UnixEpoch,
        null, null, TimeoutAction.Pause, null, Timeout: timeout);

    [Fact]
    public void A_migrations_own_timeout_survives_the_journal()
    {
        var serializer = new FleetJournalSerializer((ExtendedActorSystem)Sys);
        var queued = Migration(TimeSpan.FromSeconds(90)).ToEvent();

        var back = (MigrationQueued)serializer.FromBinary(serializer.ToBinary(queued), serializer.Manifest(queued));

        Assert.Equal(90_000, back.TimeoutMs);
        Assert.Equal((TimeSpan.FromSeconds(90), TimeoutAction.Pause), (FleetMigration.From(back).Timeout, FleetMigration.From(back).OnTimeout));
    }

    [Fact]
    public void A_queued_entry_written_before_migration_timeouts_reads_with_the_fleets_rule()
    {
        var serializer = new FleetJournalSerializer((ExtendedActorSystem)Sys);
        var old = """
            {"id":"m1","vm":"vm1","source":"host1","destination":"host2","kind":"user","size":1073741824,
             "admitted-at":"1970-01-01T00:00:00+00:00","capabilities":null,"parameters":null,"on-timeout":"abort","evacuation":null}
            """u8.ToArray();

        var back = (MigrationQueued)serializer.FromBinary(old, "fleet.migration-queued.v1");

        Assert.Null(back.TimeoutMs);
        Assert.Null(FleetMigration.From(back).Timeout);
    }
}
