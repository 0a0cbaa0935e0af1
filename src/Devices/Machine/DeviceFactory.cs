using Orchestrator.Devices.Ram;
using Orchestrator.Devices.Vfio;
using Orchestrator.Devices.Vgpu;

namespace Orchestrator.Devices.Machine;

/// <summary>Builds filled sources and empty destination twins from specs; a device following its VM's run state registers with <c>vm</c>.</summary>
public static class DeviceFactory
{
    public static IMigratableDevice CreateSource(DeviceSpec spec, DirtyPattern pattern, int seed, VmChangeStateHandlers? vm = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return spec.Kind switch
        {
            DeviceKind.Ram => RamDevice.Filled(spec, pattern, seed, time),
            DeviceKind.Vfio => VfioDevice.Filled(spec, seed, vm, time),
            DeviceKind.Vgpu => VgpuDevice.CreateSource(spec, seed, vm, time),
            _ => throw new ArgumentOutOfRangeException(nameof(spec), spec.Kind, "unknown device kind"),
        };
    }

    /// <summary>An empty twin whose RAM, once the VM runs there, is written with the VM's pattern.</summary>
    public static IMigratableDevice CreateDestination(DeviceSpec spec, DirtyPattern pattern = DirtyPattern.Random, VmChangeStateHandlers? vm = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return spec.Kind switch
        {
            DeviceKind.Ram => new RamDevice(spec, pattern, time),
            DeviceKind.Vfio => new VfioDevice(spec, vm, time),
            DeviceKind.Vgpu => VgpuDevice.CreateDestination(spec, vm, time),
            _ => throw new ArgumentOutOfRangeException(nameof(spec), spec.Kind, "unknown device kind"),
        };
    }
}
