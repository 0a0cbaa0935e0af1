namespace Orchestrator.Devices.Contract;

/// <summary>A device model: one instance is either a source or a destination of a migration.</summary>
public interface IMigratableDevice : IDeviceSaveHandlers, IDeviceLoadHandlers
{
    /// <summary>Called by the guest workload while the VM runs: the device rewrites about this many bytes of its state.</summary>
    void Dirty(long bytes, Random random);
}
