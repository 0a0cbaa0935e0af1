namespace Orchestrator.Devices.Contract;

/// <summary>The destination half of QEMU's SaveVMHandlers.</summary>
public interface IDeviceLoadHandlers : IDevice
{
    /// <summary><c>switchover_ack_needed</c>: true exactly when the device supports precopy (VFIO).</summary>
    bool SwitchoverAckNeeded { get; }

    /// <summary><c>load_setup</c>: prepare to receive (VFIO: RESUMING).</summary>
    void LoadSetup(LoadContext context);

    /// <summary><c>load_state</c> for one chunk, in stream order; completes once applied (the final one may wait for an allocation).</summary>
    /// <exception cref="DeviceLoadException">The device refuses the state.</exception>
    ValueTask LoadState(DeviceChunk chunk, CancellationToken cancellationToken);

    /// <summary>True once the end-of-state marker has been loaded.</summary>
    bool LoadComplete { get; }

    /// <summary><c>load_cleanup</c>: drop anything half-loaded or allocated.</summary>
    void LoadCleanup();
}
