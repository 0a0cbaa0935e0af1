namespace Orchestrator.Actors.Switchover;

/// <summary>Who may stop the source VM, and when: one coordinator per migration, on the source node.</summary>
internal static class SwitchoverProtocol
{
    /// <summary>The destination counted these devices as needing an ack (QEMU: switchover_ack_needed at load setup).</summary>
    public sealed record ExpectAcks(MigrationId Migration, IReadOnlyList<DeviceName> Devices) : IMigrationWire;

    /// <summary>A destination device has loaded its initial data and its resources are ready (QEMU: approve switchover).</summary>
    public sealed record DeviceAcked(MigrationId Migration, DeviceName Device) : IMigrationWire;

    /// <summary>
    /// From the coordinator while its migration waits for acks: which devices approved? Akka.Remote delivers an ack at most once; the answer
    /// is the destination's state, so asking recovers a lost ack (or count) instead of waiting out switchover-ack-timeout.
    /// </summary>
    public sealed record ApprovalsQuery(MigrationId Migration) : IMigrationWire;

    /// <summary>The destination's answer: the devices it counted as owing an ack (null: switchover-ack is off there,
    /// so it counts none) and those of them that have approved so far.</summary>
    public sealed record Approvals(MigrationId Migration, IReadOnlyList<DeviceName>? Expected, IReadOnlyList<DeviceName> Approved) : IMigrationWire;

    /// <summary>To the coordinator from its migration: the destination's incoming actor, to ask while the migration waits.</summary>
    public sealed record DestinationPrepared(IActorRef Incoming);

    /// <summary>
    /// To the migration at every change: the devices owing an ack and where each stands, the pending-ack counter, and whether it reached
    /// zero (QEMU's can_switchover, the ack's part). The coordinator owns it; the migration keeps the latest for decisions and query-migrate.
    /// </summary>
    public sealed record AcksChanged(IReadOnlyDictionary<DeviceName, DeviceAck> Owed, int Pending, bool Allowed)
    {
        /// <summary>Before the destination counted: nothing owed known yet, nothing allowed.</summary>
        public static readonly AcksChanged Uncounted = new(new Dictionary<DeviceName, DeviceAck>(), -1, false);

        /// <summary>A device's state; one the destination did not count needs no ack.</summary>
        public DeviceAck Of(DeviceName device) => Owed.TryGetValue(device, out var ack) ? ack : DeviceAck.NotNeeded;
    }

    /// <summary>From the migration: it has converged and waits only for acks; start the switchover-ack-timeout (0: no limit).
    /// Sent again when switchover-ack-timeout changes: the deadline is then the first arm plus the new timeout.</summary>
    public sealed record ArmDeadline(TimeSpan Timeout);

    /// <summary>To the migration: the deadline passed with acks still owed.</summary>
    /// <param name="DestinationSays">For the error text: whether the devices had not approved there or it did not answer; null if never asked.</param>
    public sealed record AckDeadlinePassed(IReadOnlyList<DeviceName> Pending, bool CountKnown, string? DestinationSays = null);
}

/// <summary>Where a destination device's switchover ack stands: query-migrate's per-device <c>switchover-ack</c>.</summary>
internal enum AckState
{
    /// <summary>The destination did not count it (it sends no initial data, or switchover-ack is off there).</summary>
    NotNeeded,

    /// <summary>Counted, not acked yet.</summary>
    Pending,

    Acked,
}

/// <param name="At">Since the migration started, once acked.</param>
internal sealed record DeviceAck(AckState State, TimeSpan? At = null)
{
    public static readonly DeviceAck NotNeeded = new(AckState.NotNeeded);

    /// <summary>query-migrate's spelling: <c>not-needed</c>, <c>pending</c>, <c>acked</c>.</summary>
    public string Name => JsonNamingPolicy.KebabCaseLower.ConvertName(State.ToString());
}
