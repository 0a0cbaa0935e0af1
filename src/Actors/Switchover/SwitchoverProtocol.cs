using Akka.Actor;
using Orchestrator.Actors.Migration;
using Orchestrator.Actors.Wire;
using Orchestrator.Devices.Contract;

namespace Orchestrator.Actors.Switchover;

/// <summary>Who may stop the source VM, and when: one coordinator per migration, on the source node.</summary>
public static class SwitchoverProtocol
{
    /// <summary>The destination counted these devices as needing an ack (QEMU: switchover_ack_needed at load setup).</summary>
    public sealed record ExpectAcks(MigrationId Migration, IReadOnlyList<DeviceName> Devices) : IMigrationWire;

    /// <summary>A destination device has loaded its initial data and its resources are ready (QEMU: approve switchover).</summary>
    public sealed record DeviceAcked(MigrationId Migration, DeviceName Device) : IMigrationWire;

    /// <summary>
    /// From the coordinator while its migration waits for acks: which devices have approved? An ack is a single
    /// message and Akka.Remote delivers at most once; the answer is the destination's state, so asking again
    /// recovers a lost ack (or a lost count) instead of waiting out switchover-ack-timeout.
    /// </summary>
    public sealed record ApprovalsQuery(MigrationId Migration) : IMigrationWire;

    /// <summary>The destination's answer: the devices it counted as owing an ack (null: switchover-ack is off there,
    /// so it counts none) and those of them that have approved so far.</summary>
    public sealed record Approvals(MigrationId Migration, IReadOnlyList<DeviceName>? Expected, IReadOnlyList<DeviceName> Approved) : IMigrationWire;

    /// <summary>To the coordinator from its migration: the destination's incoming actor, to ask while the migration waits.</summary>
    public sealed record DestinationPrepared(IActorRef Incoming);

    /// <summary>To the migration: the count is known.</summary>
    public sealed record AcksExpected(IReadOnlyList<DeviceName> Devices);

    /// <summary>To the migration: one device acked; <paramref name="Pending"/> is the counter after it.</summary>
    public sealed record AckRecorded(DeviceName Device, TimeSpan At, int Pending);

    /// <summary>To the migration: the pending-ack counter is zero.</summary>
    public sealed record SwitchoverAllowed(MigrationId Migration);

    /// <summary>From the migration: it has converged and waits only for acks; start the switchover-ack-timeout (0: no limit).
    /// Sent again when switchover-ack-timeout changes: the deadline is then the first arm plus the new timeout.</summary>
    public sealed record ArmDeadline(TimeSpan Timeout);

    /// <summary>To the migration: the deadline passed with acks still owed.</summary>
    /// <param name="DestinationSays">What asking the destination found, for the error text: whether the devices
    /// had not approved there, or it did not answer; null when it was never asked.</param>
    public sealed record AckDeadlinePassed(IReadOnlyList<DeviceName> Pending, bool CountKnown, string? DestinationSays = null);
}
