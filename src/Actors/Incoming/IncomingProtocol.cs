namespace Orchestrator.Actors.Incoming;

/// <summary>
/// Source to destination host, libvirt-style: prepare, stream, stop-copy, ready, commit. The destination starts the VM only on
/// <see cref="Commit"/>, and the source never resumes once it sent it, so at no instant do both run.
/// </summary>
internal static class IncomingProtocol
{
    /// <summary>Source to destination host: make an empty twin of this VM and get ready to load it.</summary>
    /// <param name="SourceSwitchoverAck">The source has switchover-ack on: it will not stop the VM before the destination's ack.
    /// Not negotiated (QEMU's rule); told so that a destination with it off can refuse at setup a migration that could never switch over.</param>
    /// <param name="MultifdChannels">The source has multifd on with this many channels; 0 when off. Not negotiated either: a destination
    /// set otherwise refuses at setup.</param>
    public sealed record Prepare(
        MigrationId Migration, VmSpec Spec, IActorRef Source, IActorRef Coordinator, bool SourceSwitchoverAck = false, int MultifdChannels = 0) : IMigrationWire;

    /// <summary>The destination is in load setup; one loader per device, in the order multifd frames number them.</summary>
    /// <param name="Multifd">With multifd on: where the source opens its channels, and the one-time token each must send first.</param>
    public sealed record Prepared(MigrationId Migration, IActorRef Incoming, IReadOnlyList<Loader> Loaders, Multifd.MultifdProtocol.Endpoint? Multifd = null) : IMigrationWire;

    public sealed record Loader(DeviceName Device, IActorRef Ref);

    /// <summary>The destination host will not take this VM; the reason says why.</summary>
    public sealed record Refused(MigrationId Migration, string Reason) : IMigrationWire;

    /// <summary>The source VM is stopped: what arrives from here on is the device state at the stop.</summary>
    public sealed record StopCopyStarted(MigrationId Migration) : IMigrationWire;

    public sealed record DigestOf(DeviceName Device, DeviceDigest Digest);

    /// <summary>Every device is loaded after the stop: these are the loaded state's digests, which the source compares with its own before it commits.</summary>
    public sealed record ReadyToStart(MigrationId Migration, IReadOnlyList<DigestOf> DestinationDigests) : IMigrationWire;

    /// <summary>The destination failed to load; its state is discarded.</summary>
    public sealed record Failed(MigrationId Migration, string Reason) : IMigrationWire;

    /// <summary>Ownership moves to <paramref name="Epoch"/>: the destination starts the VM.</summary>
    /// <param name="Recorded">The source heard the ownership ledger record this commit, so the destination starts at once;
    /// false where the source has no ledger, and then a destination that has one asks it first.</param>
    public sealed record Commit(MigrationId Migration, long Epoch, bool Recorded = false) : IMigrationWire;

    /// <summary>The destination VM runs.</summary>
    public sealed record Running(MigrationId Migration) : IMigrationWire;

    /// <summary>The source gives up before commit: discard everything.</summary>
    public sealed record Abort(MigrationId Migration, string Reason) : IMigrationWire;
}
