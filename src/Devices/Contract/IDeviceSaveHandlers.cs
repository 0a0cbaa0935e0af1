namespace Orchestrator.Devices.Contract;

/// <summary>
/// The source half of QEMU's SaveVMHandlers; a device never knows how its chunks travel. Implementations are thread-safe: the guest
/// workload, the streaming actor and the migration loop call in from different threads.
/// </summary>
public interface IDeviceSaveHandlers : IDevice
{
    /// <summary><c>save_setup</c>: start tracking dirty state; everything is pending.</summary>
    void SaveSetup(SaveContext context);

    /// <summary><c>state_pending_estimate</c>: bytes that must still move, cheap and possibly stale.</summary>
    long PendingEstimate();

    /// <summary><c>state_pending_exact</c>: re-syncs dirty tracking (RAM's dirty bitmap sync), then answers.</summary>
    long PendingExact();

    /// <summary><c>save_live_iterate</c>: at most <paramref name="maxBytes"/> of payload, or null when nothing is pending now.</summary>
    DeviceChunk? SaveIterate(int maxBytes);

    /// <summary><c>save_live_complete_precopy</c>, a chunk at a time with the VM stopped; null once the stream is complete (end marker sent).</summary>
    DeviceChunk? SaveCompleteNext(int maxBytes);

    /// <summary><c>save_cleanup</c>: the migration ended either way; stop tracking, back to a running state.</summary>
    void SaveCleanup();

    /// <summary>Payload bytes handed out by SaveIterate and SaveCompleteNext since setup.</summary>
    long Transferred { get; }
}
