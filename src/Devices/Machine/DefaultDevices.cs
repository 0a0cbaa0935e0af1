using Orchestrator.Devices.Vgpu;

namespace Orchestrator.Devices.Machine;

/// <summary>Default device shapes: VFIO is the published mlx5 switchover-ack case (300 MB data, 1480 ms allocation), its VF name the seed's.</summary>
public static class DefaultDevices
{
    public const long MiB = 1024 * 1024;

    public const string RamName = "ram";
    public const long RamSize = 256 * MiB;

    /// <summary>Bytes per second the guest workload writes into RAM (before any throttle).</summary>
    public const long GuestDirtyRate = 32 * MiB;

    public const string VfioName = "0000:17:00.2";
    public const long VfioSize = 300 * MiB;
    public const long VfioDirtyRate = 1 * MiB;
    public static readonly TimeSpan VfioAllocationTime = TimeSpan.FromMilliseconds(1480);

    public const string VgpuName = VgpuDevice.DefaultName;
    public const long VgpuSize = 64 * MiB;
    public const long VgpuDirtyRate = 2 * MiB;
    public static readonly TimeSpan VgpuAllocationTime = TimeSpan.FromMilliseconds(100);

    /// <summary>Guest RAM: the guest workload dirties it (its own rate is 0); no precopy ack needed.</summary>
    public static DeviceSpec Ram(long size = RamSize) =>
        new(DeviceKind.Ram, new DeviceName(RamName), size, DirtyRate: 0, AllocationTime: TimeSpan.Zero, Precopy: false);

    /// <summary>The mlx5 VF.</summary>
    public static DeviceSpec Vfio(long size, TimeSpan allocationTime) =>
        new(DeviceKind.Vfio, new DeviceName(VfioName), size, VfioDirtyRate, allocationTime, Precopy: true);

    /// <summary>The mlx5 VF with the published size and allocation time.</summary>
    public static DeviceSpec Vfio() => Vfio(VfioSize, VfioAllocationTime);

    public static DeviceSpec Vgpu(long size = VgpuSize) =>
        new(DeviceKind.Vgpu, new DeviceName(VgpuName), size, VgpuDirtyRate, VgpuAllocationTime, Precopy: true);
}
