namespace Orchestrator.Devices.Contract;

/// <summary>What a destination needs for an empty twin of a source device; plain values, as it travels in the setup message.</summary>
/// <param name="SizeBytes">State size; RAM and device state are whole 4 KiB pages.</param>
/// <param name="DirtyRate">Bytes per second the running guest (or the device itself) rewrites.</param>
/// <param name="AllocationTime">Destination resource allocation before the state can be loaded (VFIO/vGPU).</param>
/// <param name="Precopy">The device supports precopy, so it needs a switchover ack (VFIO).</param>
public sealed record DeviceSpec(
    DeviceKind Kind,
    DeviceName Name,
    long SizeBytes,
    long DirtyRate,
    TimeSpan AllocationTime,
    bool Precopy = true);
