using Akka.Actor;
using Akka.Event;
using Akka.TestKit.Xunit2;
using Orchestrator.Actors.Migration;
using Orchestrator.Actors.Precopy;
using Orchestrator.Actors.Switchover;
using Orchestrator.Actors.Wire;
using Orchestrator.Devices.Contract;
using Xunit;

namespace Orchestrator.Tests.Migration;

/// <summary>What a node could not deliver of a migration is in its log, past Akka's 10 dead letters per 5 minutes.</summary>
public sealed class UndeliveredWireLogTests : TestKit
{
    private static readonly MigrationId Id = new("m2");
    private static readonly DeviceName Vf = new("0000:17:00.2");

    [Fact]
    public void A_dropped_switchover_ack_is_logged_after_a_crash_used_up_akkas_dead_letter_log()
    {
        var log = Sys.ActorOf(UndeliveredWireLog.Props());
        Subscribed(log);

        // A crashed destination drops a window of chunks: one line for the stream, not one per chunk.
        EventFilter.Warning(contains: $"chunk 0 of migration {Id}, device {Vf}").ExpectOne(() =>
        {
            for (var seq = 0; seq < 20; seq++)
                Dropped(new PrecopyProtocol.Chunk(Id, Vf, seq, new byte[8]));
        });

        // Each control message after that still shows, with what it was and where it went.
        EventFilter.Warning(contains: $"Undelivered: DeviceAcked {{ Migration = {Id}, Device = {Vf} }}").Expect(2, () =>
        {
            Dropped(new SwitchoverProtocol.DeviceAcked(Id, Vf));
            Dropped(new SwitchoverProtocol.DeviceAcked(Id, Vf));
        });
    }

    [Fact]
    public void Messages_that_are_not_a_migrations_are_left_to_akka()
    {
        var log = Sys.ActorOf(UndeliveredWireLog.Props());
        Subscribed(log);

        EventFilter.Warning(contains: "Undelivered").Expect(0, () => Dropped("a heartbeat to a dead node"));
    }

    private void Dropped(object message) => Sys.EventStream.Publish(new DeadLetter(message, TestActor, Sys.DeadLetters));

    /// <summary>An answer to Identify comes after PreStart, where it subscribes.</summary>
    private void Subscribed(IActorRef log)
    {
        log.Tell(new Identify(null));
        ExpectMsg<ActorIdentity>();
    }
}
