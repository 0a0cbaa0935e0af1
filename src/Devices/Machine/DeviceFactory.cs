using Orchestrator.Devices.Contract;
using Orchestrator.Devices.Ram;
using Orchestrator.Devices.Vfio;
using Orchestrator.Devices.Vgpu;

namespace Orchestrator.Devices.Machine;

/// <summary>Builds device models from their specs: filled sources, empty destination twins.</summary>
public static class DeviceFactory
{
    public static IMigratableDevice CreateSource(DeviceSpec spec, DirtyPattern pattern, int seed)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return spec.Kind switch
        {
            DeviceKind.Ram => RamDevice.Filled(spec, pattern, seed),
            DeviceKind.Vfio => VfioDevice.Filled(spec, seed),
            DeviceKind.Vgpu => VgpuDevice.CreateSource(spec, seed),
            _ => throw new ArgumentOutOfRangeException(nameof(spec), spec.Kind, "unknown device kind"),
        };
    }

    public static IMigratableDevice CreateDestination(DeviceSpec spec) => CreateDestination(spec, DirtyPattern.Random);

    /// <summary>An empty twin whose RAM, once the VM runs there, is written with the VM's pattern.</summary>
    public static IMigratableDevice CreateDestination(DeviceSpec spec, DirtyPattern pattern)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return spec.Kind switch
        {
            DeviceKind.Ram => new RamDevice(spec, pattern),
            DeviceKind.Vfio => new VfioDevice(spec),
            DeviceKind.Vgpu => VgpuDevice.CreateDestination(spec),
            _ => throw new ArgumentOutOfRangeException(nameof(spec), spec.Kind, "unknown device kind"),
        };
    }
}
