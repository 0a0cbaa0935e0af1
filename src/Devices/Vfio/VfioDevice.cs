using System.IO.Hashing;

namespace Orchestrator.Devices.Vfio;

/// <summary>
/// A VFIO migration v2 device with precopy, modelled on an mlx5 (ConnectX-7) VF, and vGPUs (kind vgpu) alike: the source streams state
/// while running (initial bytes, then what the device dirtied behind the cursor); the destination allocates resources before the final
/// state, with switchover-ack during precopy, approving the switchover when done.
/// </summary>
public sealed class VfioDevice : PagedDevice, IMigratableDevice
{
    /// <summary>QEMU reads device state in pieces of at most this (its VFIO data buffer).</summary>
    public const int DataBufferSize = 1 << 20;

    /// <summary>Device registers / config space: sent only in stop-copy, so always part of the stop-copy size.</summary>
    public const int ConfigSize = 4096;

    private readonly byte[] config = new byte[ConfigSize];
    private readonly VfioAllocation allocation;
    private VfioDeviceState state = VfioDeviceState.Running;
    private VfioSaveStream? save; // source side, per migration
    private LoadContext? loadContext; // destination side
    private bool endReceived;

    /// <summary>A device with all-zero state: a destination twin.</summary>
    /// <param name="vm">Where the device registers to follow its VM's run state; none outside a VM.</param>
    /// <param name="time">The clock of the destination's allocation; the system's unless a test gives one.</param>
    /// <exception cref="ArgumentException">The kind is not vfio or vgpu.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The allocation time is negative.</exception>
    public VfioDevice(DeviceSpec spec, VmChangeStateHandlers? vm = null, TimeProvider? time = null)
        : base(spec, "VFIO", DeviceKind.Vfio, DeviceKind.Vgpu)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(spec.AllocationTime, TimeSpan.Zero, nameof(spec));
        allocation = new VfioAllocation(spec.AllocationTime, time ?? TimeProvider.System);
        vm?.Add(VmStateChanged);
    }

    /// <summary>A source device whose whole state (and config blob) is noise from <paramref name="seed"/>.</summary>
    public static VfioDevice Filled(DeviceSpec spec, int seed, VmChangeStateHandlers? vm = null, TimeProvider? time = null)
    {
        var device = new VfioDevice(spec, vm, time);
        var noise = NoiseSource.From(new Random(seed));
        noise.Fill(device.config);
        for (long page = 0; page < device.Memory.PageCount; page++)
            device.Memory.WriteNoisePage(page, ref noise, guest: false);

        return device;
    }

    public VfioDeviceState State
    {
        get
        {
            lock (Sync)
                return state;
        }
    }

    /// <summary>PRECOPY_INFO's initial_bytes: state not yet sent once (all of it outside a migration).</summary>
    public long InitialBytes
    {
        get
        {
            lock (Sync)
                return save?.InitialBytes ?? Memory.SizeBytes;
        }
    }

    /// <summary>PRECOPY_INFO's dirty_bytes: state already sent and rewritten since.</summary>
    public long DirtyBytes
    {
        get
        {
            lock (Sync)
                return save?.DirtyBytes ?? 0;
        }
    }

    public override DeviceDigest Digest()
    {
        var memory = Memory.Digest();
        ulong configHash;
        lock (Sync)
            configHash = XxHash3.HashToUInt64(config);

        return new DeviceDigest($"{memory.Hex}{configHash:x16}");
    }

    /// <summary>QEMU's vfio_vmstate_change: outside a migration STOP and RUNNING follow the VM; migration states are left alone.</summary>
    private void VmStateChanged(bool running)
    {
        lock (Sync)
        {
            state = (running, state) switch
            {
                (true, VfioDeviceState.Stop) => VfioDeviceState.Running,
                (false, VfioDeviceState.Running) => VfioDeviceState.Stop,
                _ => state,
            };
        }
    }

    /// <summary>The device's own activity; ignored unless it is running.</summary>
    private protected override void Rewrite(long pages, Random random, ref NoiseSource noise)
    {
        // Under the device lock so a write can never slip in after STOP_COPY has drained.
        lock (Sync)
        {
            if (state is VfioDeviceState.Running or VfioDeviceState.PreCopy)
                base.Rewrite(pages, random, ref noise);
        }
    }

    // ---- source ----

    public void SaveSetup(SaveContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        lock (Sync)
        {
            state = VfioDeviceState.PreCopy;
            Memory.ClearDirtyLog();
            save = new VfioSaveStream(Memory, config, context.SwitchoverAck);
            ResetTransferred();
        }
    }

    public long PendingEstimate()
    {
        lock (Sync)
            return save?.Pending ?? Memory.SizeBytes + ConfigSize;
    }

    /// <summary>QEMU asks the device for its stop-copy size here; the model knows it exactly anyway.</summary>
    public long PendingExact() => PendingEstimate();

    public DeviceChunk? SaveIterate(int maxBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxBytes);
        lock (Sync)
        {
            var stream = Saving();
            if (state != VfioDeviceState.PreCopy)
                throw new InvalidOperationException($"{Name}: save_live_iterate in {state}");

            var limit = Math.Min(maxBytes, DataBufferSize);
            using var writer = new ChunkWriter(limit + VfioRecord.HeaderSize + PagedMemory.PageSize);
            stream.Iterate(writer, limit);
            return Hand(writer);
        }
    }

    public DeviceChunk? SaveCompleteNext(int maxBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxBytes);
        lock (Sync)
        {
            var stream = Saving();
            if (stream.EndSent)
                return null;

            state = VfioDeviceState.StopCopy;
            var limit = Math.Min(maxBytes, DataBufferSize);
            using var writer = new ChunkWriter(limit + VfioRecord.HeaderSize + ConfigSize);
            stream.Complete(writer, limit);
            return Hand(writer);
        }
    }

    public void SaveCleanup()
    {
        lock (Sync)
        {
            // Back to RUNNING: after a failed migration the source VM carries on with this device.
            save = null;
            state = VfioDeviceState.Running;
        }
    }

    private VfioSaveStream Saving() => save ?? throw new InvalidOperationException($"{Name}: save_setup has not run");

    // ---- destination ----

    /// <summary>QEMU's vfio switchover_ack_needed: the device supports precopy.</summary>
    public bool SwitchoverAckNeeded => Spec.Precopy;

    /// <summary>The destination's resource allocation has begun (on INIT_DATA_SENT, or at the end of state without it).</summary>
    public bool AllocationStarted => allocation.Started;

    public bool AllocationCompleted => allocation.Completed;

    public void LoadSetup(LoadContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        lock (Sync)
        {
            allocation.Cancel();
            loadContext = context;
            state = VfioDeviceState.Resuming;
            endReceived = Loaded = false;
        }
    }

    public async ValueTask LoadState(DeviceChunk chunk, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(chunk);
        cancellationToken.ThrowIfCancellationRequested();
        Task? finalWait;
        lock (Sync)
            finalWait = Apply(chunk.Payload.Span);

        if (finalWait is null)
            return;

        // Without switchover-ack this is where the allocation time lands: inside the downtime.
        await finalWait.WaitAsync(cancellationToken).ConfigureAwait(false);
        lock (Sync)
        {
            if (endReceived && state == VfioDeviceState.Resuming)
            {
                state = VfioDeviceState.Stop;
                Loaded = true;
            }
        }
    }

    public void LoadCleanup()
    {
        lock (Sync)
        {
            allocation.Cancel();
            loadContext = null;
            endReceived = false;
            if (!Loaded)
            {
                // A half-loaded device is reset; a loaded one keeps its state (cleanup follows success too).
                Memory.Clear();
                Array.Clear(config);
                state = VfioDeviceState.Running;
            }
        }
    }

    /// <summary>Applies one chunk; returns the allocation to await when it held the end-of-state marker.</summary>
    private Task? Apply(ReadOnlySpan<byte> payload)
    {
        if (loadContext is null || state != VfioDeviceState.Resuming)
            throw new DeviceLoadException($"{Name}: state arrived while the device is {state}, not resuming");

        Task? finalWait = null;
        for (var offset = 0; offset < payload.Length;)
        {
            if (endReceived)
                throw Malformed(offset, "data after the end-of-state marker");

            if (VfioRecord.Read(payload, offset, out var record) is { } problem)
                throw Malformed(offset, problem);

            switch (record.Tag)
            {
                case VfioRecord.Data:
                    LoadData(record.Offset, record.Payload, offset);
                    break;
                case VfioRecord.Config when record.Offset != 0 || record.Payload.Length != ConfigSize:
                    throw Malformed(offset, $"config record of {record.Payload.Length} bytes, expected {ConfigSize}");
                case VfioRecord.Config:
                    record.Payload.CopyTo(config);
                    break;
                case VfioRecord.InitDataSent:
                    RequireMarker(record, offset);
                    if (!loadContext.SwitchoverAck)
                        throw new DeviceLoadException($"{Name}: Received INIT_DATA_SENT but switchover ack is not used");

                    // Approval only follows INIT_DATA_SENT: without the marker no switchover waits on this device.
                    allocation.Start(loadContext.ApproveSwitchover);
                    break;
                case VfioRecord.EndOfState:
                    RequireMarker(record, offset);
                    endReceived = true;
                    finalWait = allocation.Start(approve: null);
                    break;
                default:
                    throw Malformed(offset, $"unknown record tag 0x{record.Tag:x2}");
            }

            offset += VfioRecord.HeaderSize + record.Payload.Length;
        }

        return finalWait;
    }

    private void LoadData(long at, ReadOnlySpan<byte> data, int offset)
    {
        if (data.Length == 0 || at < 0 || at % PagedMemory.PageSize != 0 || data.Length % PagedMemory.PageSize != 0
            || at + data.Length > Memory.SizeBytes)
        {
            throw Malformed(offset, $"data record [{at}, +{data.Length}) is not whole pages inside {Memory.SizeBytes} bytes");
        }

        var first = at / PagedMemory.PageSize;
        for (var i = 0; i < data.Length / PagedMemory.PageSize; i++)
            Memory.LoadPage(first + i, data.Slice(i * PagedMemory.PageSize, PagedMemory.PageSize));
    }

    private void RequireMarker(VfioRecord record, int offset)
    {
        if (!record.IsMarker)
            throw Malformed(offset, "marker with a payload");
    }
}
