namespace Orchestrator.Actors.Host;

/// <summary>Commands a node's VM host answers: VMs, their migration settings, migrations out; <see cref="IHostWire"/> ones from any node.</summary>
public static class HostProtocol
{
    /// <summary>The VM host's name under /user on every node.</summary>
    public const string Name = "vm-host";

    /// <summary>Where the VM host of <paramref name="node"/> lives.</summary>
    public static ActorPath PathOn(Address node) => new RootActorPath(node) / "user" / Name;

    /// <summary>Create and start a VM here; answered with <see cref="CommandResult"/>.</summary>
    /// <param name="Epoch">The ownership epoch the ledger recorded for this VM's creation; 0 where no ledger took part.</param>
    public sealed record CreateVm(VmSpec Spec, long Epoch = 0) : IHostWire;

    /// <summary>Stop and discard a VM here; answered with <see cref="CommandResult"/>.</summary>
    public sealed record DeleteVm(string Vm) : IHostWire;

    /// <summary>QEMU's <c>cont</c> for a VM left paused: answered with <see cref="CommandResult"/>.</summary>
    /// <remarks>A VM paused because its last migration's ownership is unknown resumes only if the ownership ledger fences that migration.</remarks>
    public sealed record ResumeVm(string Vm) : IHostWire;

    /// <summary>Answered with <see cref="VmList"/>.</summary>
    public sealed record ListVms : IHostWire { public static readonly ListVms Instance = new(); }

    /// <param name="Incoming">Names of VMs whose state is being received here; none of them runs yet.</param>
    public sealed record VmList(string Host, IReadOnlyList<VmSummary> Vms, IReadOnlyList<string> Incoming) : IHostWire;

    /// <param name="State"><c>running</c>, <c>paused</c> or <c>stopped</c>.</param>
    /// <param name="Epoch">The ownership epoch of this copy: 0 until it first migrates, then the epoch of the commit that brought it here.</param>
    public sealed record VmSummary(string Name, string State, long RamBytes, IReadOnlyList<DeviceSummary> Devices, long Epoch = 0);

    public sealed record DeviceSummary(string Name, string Kind, long Size);

    /// <summary>Answered with <see cref="HostStatus"/>.</summary>
    public sealed record GetStatus : IHostWire { public static readonly GetStatus Instance = new(); }

    /// <param name="Capacity">Bytes of VM state this host may hold.</param>
    /// <param name="Used">Bytes held by its VMs and reserved by incoming migrations.</param>
    public sealed record HostStatus(string Name, long Capacity, long Used, int Vms, MigrationCapabilities IncomingCapabilities, bool Draining = false) : IHostWire;

    /// <summary>This node's capabilities as a migration destination; answered with <see cref="CommandResult"/>.</summary>
    public sealed record SetIncomingCapabilities(MigrationCapabilities Capabilities) : IHostWire;

    /// <summary>Some of this node's destination capabilities changed; answered with <see cref="IncomingCapabilitiesOf"/> or <see cref="CommandResult"/>.</summary>
    public sealed record ChangeIncomingCapabilities(IReadOnlyList<(string Name, bool State)> Changes) : IHostWire;

    public sealed record IncomingCapabilitiesOf(MigrationCapabilities Capabilities) : IHostWire;

    /// <summary>QEMU's <c>migrate-set-parameters</c> on a destination (there only <c>multifd-channels</c> matters); all or nothing,
    /// refused while a migration comes in. Answered with <see cref="IncomingParametersOf"/> or <see cref="CommandResult"/>.</summary>
    public sealed record ChangeIncomingParameters(IReadOnlyList<(string Name, string Value)> Changes) : IHostWire;

    public sealed record IncomingParametersOf(MigrationParameters Parameters) : IHostWire;

    /// <summary>QEMU's <c>migrate-set-capabilities</c> for migrations out of <paramref name="Vm"/>.</summary>
    public sealed record SetCapabilities(string Vm, IReadOnlyList<(string Name, bool State)> Changes) : IHostWire;

    /// <summary>QEMU's <c>migrate-set-parameters</c>; all or nothing, and a running migration picks them up. Answered with <see cref="MigrationSettingsOf"/> or <see cref="CommandResult"/>.</summary>
    public sealed record SetParameters(string Vm, IReadOnlyList<(string Name, string Value)> Changes) : IHostWire;

    /// <summary>QEMU's query-migrate-capabilities and query-migrate-parameters in one: answered with <see cref="MigrationSettingsOf"/> or <see cref="CommandResult"/>.</summary>
    public sealed record GetMigrationSettings(string Vm) : IHostWire;

    public sealed record MigrationSettingsOf(MigrationCapabilities Capabilities, MigrationParameters Parameters) : IHostWire;

    /// <summary>QEMU's <c>migrate</c>, with optional capability and parameter changes applied all or nothing before it starts.</summary>
    /// <remarks>Answered with <see cref="MigrationStarted"/> or <see cref="CommandResult"/>.</remarks>
    public sealed record Migrate(
        string Vm,
        Address Destination,
        MigrationCapabilities? Capabilities = null,
        IReadOnlyList<(string Name, string Value)>? Parameters = null,
        MigrationId? Id = null) : IHostWire;

    /// <summary>A draining host takes no new VM, created or migrated in; answered with <see cref="CommandResult"/>.</summary>
    public sealed record SetDraining(bool Draining) : IHostWire;

    public sealed record MigrationStarted(MigrationId Migration, string Source) : IHostWire;

    /// <summary>Answered with <see cref="MigrationInfo"/>, <see cref="NoMigration"/> before any, or <see cref="CommandResult"/> for an unknown VM.</summary>
    public sealed record QueryMigrate(string Vm) : IHostWire;

    public sealed record NoMigration : IHostWire { public static readonly NoMigration Instance = new(); }

    /// <summary>QEMU's <c>migrate_cancel</c>; <paramref name="Reason"/> (when the fleet cancels, say) becomes the migration's error-desc.</summary>
    public sealed record MigrateCancel(string Vm, string? Reason = null) : IHostWire;

    /// <summary>Stop the guest of a migrating VM so the migration converges (QEMU's non-live migration); answered with <see cref="CommandResult"/>.</summary>
    public sealed record PauseGuest(string Vm) : IHostWire;

    public sealed record MigrateContinue(string Vm) : IHostWire;

    /// <summary>Answered with <see cref="VmDigests"/> or <see cref="CommandResult"/>; local only.</summary>
    public sealed record GetDigests(string Vm);

    public sealed record VmDigests(IReadOnlyDictionary<DeviceName, DeviceDigest> Digests);
}

/// <summary>Messages to a host from its own migrations.</summary>
internal static class HostLocal
{
    /// <summary>An incoming migration committed: this VM runs here now, at ownership <paramref name="Epoch"/>.</summary>
    public sealed record AdoptVm(VirtualMachine Vm, MigrationId Migration, long Epoch);

    /// <summary>Migrations of this host commit through this ownership ledger (fencing); without one they commit on their own.</summary>
    public sealed record FenceWith(IActorRef Ledger);

    /// <summary>Migrations the fleet started here report their progress and end to the fleet coordinator through this proxy.</summary>
    public sealed record ReportTo(IActorRef Fleet);

    /// <summary>A VM actor's migration started or ended.</summary>
    public sealed record MigrationRunning(string Vm, bool Running);

    /// <summary>A VM is no longer here (migrated away or deleted); <paramref name="Final"/> is its last migration, if any.</summary>
    public sealed record VmGone(string Vm, MigrationInfo? Final);

    /// <summary>The node is stopping: cancel every outgoing migration and answer when all have ended.</summary>
    public sealed record CancelOutgoing { public static readonly CancelOutgoing Instance = new(); }
}

/// <summary>Who a host is: its name in the cluster and how much VM state it may hold.</summary>
internal sealed record HostIdentity(string Name, long Capacity = long.MaxValue);
