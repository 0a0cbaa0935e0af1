using Orchestrator.Devices.Contract;
using Orchestrator.Devices.Machine;

namespace Orchestrator.Drills.Scenarios;

/// <summary>A VM of a drill: RAM the guest dirties, optionally a VFIO VF and a vGPU; small by default: a migration takes well under 1 s on loopback.</summary>
/// <param name="Vfio">Bytes of VF state; 0 leaves the VF out.</param>
/// <param name="VfioAllocation">Destination allocation time of the VF before it acks the switchover.</param>
/// <param name="VfioNeverAcks">The VF's destination allocation never finishes, so its switchover ack never comes.</param>
/// <param name="Vgpu">Bytes of vGPU state; 0 leaves it out.</param>
public sealed record VmDefinition(
    string Name,
    string Host,
    long Ram = VmDefinition.DefaultRam,
    long DirtyRate = VmDefinition.DefaultDirtyRate,
    long Vfio = 0,
    TimeSpan? VfioAllocation = null,
    bool VfioNeverAcks = false,
    long Vgpu = 0)
{
    public const long MiB = 1L << 20;
    public const long DefaultRam = 32 * MiB;
    public const long DefaultDirtyRate = 4 * MiB;
    public static readonly TimeSpan DefaultVfioAllocation = TimeSpan.FromMilliseconds(200);

    /// <summary>"Never" for a device model: longer than any drill, and cancelled when the migration is cleaned up.</summary>
    public static readonly TimeSpan NeverAllocated = TimeSpan.FromDays(1);

    public long Size => Ram + Vfio + Vgpu;

    /// <summary>The VF's bytes as created: 4 MiB when only <see cref="VfioNeverAcks"/> asks for one; 0 for no VF.</summary>
    public long VfioSize => Vfio > 0 ? Vfio : VfioNeverAcks ? 4 * MiB : 0;

    /// <summary>The VF's allocation time on a destination, as created.</summary>
    public TimeSpan VfioAllocationTime => VfioNeverAcks ? NeverAllocated : VfioAllocation ?? DefaultVfioAllocation;

    public VmSpec ToSpec()
    {
        var devices = new List<DeviceSpec> { DefaultDevices.Ram(Ram) };
        if (VfioSize > 0)
            devices.Add(DefaultDevices.Vfio(VfioSize, VfioAllocationTime));
        if (Vgpu > 0)
            devices.Add(DefaultDevices.Vgpu(Vgpu) with { AllocationTime = TimeSpan.FromMilliseconds(50) });
        return new VmSpec(Name, devices, new WorkloadSpec(DirtyRate));
    }
}
