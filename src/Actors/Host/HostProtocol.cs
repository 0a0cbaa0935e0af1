using Akka.Actor;
using Orchestrator.Actors.Migration;
using Orchestrator.Devices.Contract;
using Orchestrator.Devices.Machine;

namespace Orchestrator.Actors.Host;

/// <summary>Commands a node's VM host answers: VMs, their migration settings, and migrations out of them.</summary>
public static class HostProtocol
{
    /// <summary>Create and start a VM here; answered with <see cref="CommandResult"/>.</summary>
    public sealed record CreateVm(VmSpec Spec);

    /// <summary>Answered with <see cref="VmList"/>.</summary>
    public sealed record ListVms
    {
        public static readonly ListVms Instance = new();
    }

    /// <param name="Incoming">Names of VMs whose state is being received here; none of them runs yet.</param>
    public sealed record VmList(IReadOnlyList<VmSummary> Vms, IReadOnlyList<string> Incoming);

    /// <param name="State"><c>running</c>, <c>paused</c> or <c>stopped</c>.</param>
    public sealed record VmSummary(string Name, string State, long RamBytes, IReadOnlyList<string> Devices);

    /// <summary>This node's capabilities as a migration destination; answered with <see cref="CommandResult"/>.</summary>
    public sealed record SetIncomingCapabilities(MigrationCapabilities Capabilities);

    /// <summary>QEMU's <c>migrate-set-capabilities</c> for migrations out of <paramref name="Vm"/>.</summary>
    public sealed record SetCapabilities(string Vm, IReadOnlyList<(string Name, bool State)> Changes);

    /// <summary>QEMU's <c>migrate-set-parameters</c>; all or nothing, and a running migration picks them up.</summary>
    public sealed record SetParameters(string Vm, IReadOnlyList<(string Name, string Value)> Changes);

    /// <summary>QEMU's <c>migrate</c>: answered with <see cref="MigrationStarted"/> or <see cref="CommandResult"/>.</summary>
    public sealed record Migrate(string Vm, Address Destination);

    public sealed record MigrationStarted(MigrationId Migration);

    /// <summary>Answered with <see cref="MigrationInfo"/>, or <see cref="NoMigration"/> before any.</summary>
    public sealed record QueryMigrate(string Vm);

    public sealed record NoMigration
    {
        public static readonly NoMigration Instance = new();
    }

    public sealed record MigrateCancel(string Vm);

    public sealed record MigrateContinue(string Vm);

    /// <summary>QEMU's query-migrate-capabilities and query-migrate-parameters in one: answered with <see cref="MigrationSettingsOf"/> or <see cref="CommandResult"/>.</summary>
    public sealed record GetMigrationSettings(string Vm);

    public sealed record MigrationSettingsOf(MigrationCapabilities Capabilities, MigrationParameters Parameters);

    /// <summary>Answered with <see cref="VmDigests"/> or <see cref="CommandResult"/>.</summary>
    public sealed record GetDigests(string Vm);

    public sealed record VmDigests(IReadOnlyDictionary<DeviceName, DeviceDigest> Digests);
}

/// <summary>Messages to a host from its own migrations.</summary>
internal static class HostLocal
{
    /// <summary>An incoming migration committed: this VM runs here now.</summary>
    public sealed record AdoptVm(VirtualMachine Vm, MigrationId Migration);
}
