using Orchestrator.Devices.Contract;
using Orchestrator.Devices.Machine;

namespace Orchestrator.Drills.Scenarios;

/// <summary>
/// A VM of a drill: RAM the guest dirties, and optionally a VFIO VF and a vGPU. Small by default so a
/// migration takes well under a second on loopback.
/// </summary>
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

    public VmSpec ToSpec()
    {
        var devices = new List<DeviceSpec> { DefaultDevices.Ram(Ram) };
        if (Vfio > 0 || VfioNeverAcks)
            devices.Add(DefaultDevices.Vfio(Vfio > 0 ? Vfio : 4 * MiB, VfioNeverAcks ? NeverAllocated : VfioAllocation ?? DefaultVfioAllocation));
        if (Vgpu > 0)
            devices.Add(DefaultDevices.Vgpu(Vgpu) with { AllocationTime = TimeSpan.FromMilliseconds(50) });
        return new VmSpec(Name, devices, new WorkloadSpec(DirtyRate));
    }
}
