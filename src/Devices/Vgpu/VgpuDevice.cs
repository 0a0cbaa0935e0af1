using Orchestrator.Devices.Vfio;

namespace Orchestrator.Devices.Vgpu;

/// <summary>
/// vGPUs (mdev / SR-IOV GPU functions) migrate through VFIO migration v2 just like a NIC VF, so a vGPU
/// is a <see cref="VfioDevice"/> of kind vgpu: typically smaller state, busier, quicker to allocate.
/// </summary>
public static class VgpuDevice
{
    public const string DefaultName = "vgpu0";

    /// <summary>A source vGPU with seeded state.</summary>
    public static VfioDevice CreateSource(DeviceSpec spec, int seed, VmChangeStateHandlers? vm = null, TimeProvider? time = null) => VfioDevice.Filled(Check(spec), seed, vm, time);

    /// <summary>An empty destination twin.</summary>
    public static VfioDevice CreateDestination(DeviceSpec spec, VmChangeStateHandlers? vm = null, TimeProvider? time = null) => new(Check(spec), vm, time);

    private static DeviceSpec Check(DeviceSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return spec.Kind == DeviceKind.Vgpu
            ? spec
            : throw new ArgumentException($"a vGPU needs kind vgpu, not {spec.Kind.Name()}", nameof(spec));
    }
}
