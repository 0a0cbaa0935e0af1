using System.Buffers.Binary;
using System.IO.Hashing;
using Orchestrator.Devices.Contract;
using Orchestrator.Devices.Memory;

namespace Orchestrator.Devices.Vfio;

/// <summary>
/// A device migrated through VFIO migration v2 with precopy, modelled on an mlx5 (ConnectX-7) VF:
/// the source streams its state while running (initial bytes, then bytes the device dirtied behind
/// the cursor), the destination must allocate resources before it can take the final state, and with
/// switchover-ack it does that during precopy and approves the switchover when done.
/// Also used for vGPUs (kind vgpu), which migrate the same way.
/// </summary>
public sealed class VfioDevice : IMigratableDevice
{
    /// <summary>QEMU reads device state in pieces of at most this (its VFIO data buffer).</summary>
    public const int DataBufferSize = 1 << 20;

    /// <summary>Device registers / config space: sent only in stop-copy, so always part of the stop-copy size.</summary>
    public const int ConfigSize = 4096;

    private readonly Lock sync = new();
    private readonly TimeProvider time;
    private readonly byte[] config = new byte[ConfigSize];
    private VfioDeviceState state = VfioDeviceState.Running;

    // Source side, per migration.
    private bool saving;
    private bool switchoverAck;
    private bool initDataSent;
    private bool configSent;
    private bool endSent;
    private long initialCursor; // pages below it have gone out once
    private long dirtyCursor;
    private long transferred;

    // Destination side.
    private LoadContext? loadContext;
    private CancellationTokenSource? allocationCancel;
    private Task? allocation;
    private int approved;
    private volatile bool allocationCompleted;
    private bool endReceived;
    private bool loadComplete;

    /// <summary>A device with all-zero state: a destination twin.</summary>
    /// <param name="time">The clock of the destination's allocation; the system's unless a test gives one.</param>
    public VfioDevice(DeviceSpec spec, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (spec.Kind is not (DeviceKind.Vfio or DeviceKind.Vgpu))
        {
            throw new ArgumentException($"a VFIO device needs kind vfio or vgpu, not {spec.Kind.Name()}", nameof(spec));
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(spec.AllocationTime, TimeSpan.Zero, nameof(spec));
        Spec = spec;
        Memory = new PagedMemory(spec.SizeBytes);
        this.time = time ?? TimeProvider.System;
    }

    /// <summary>A source device whose whole state (and config blob) is noise from <paramref name="seed"/>.</summary>
    public static VfioDevice Filled(DeviceSpec spec, int seed)
    {
        var device = new VfioDevice(spec);
        var noise = NoiseSource.From(new Random(seed));
        noise.Fill(device.config);
        for (long page = 0; page < device.Memory.PageCount; page++)
        {
            device.Memory.WriteNoisePage(page, ref noise, guest: false);
        }

        return device;
    }

    public DeviceSpec Spec { get; }
    public DeviceName Name => Spec.Name;
    public DeviceKind Kind => Spec.Kind;

    /// <summary>The device state pages; tests poke at them.</summary>
    internal PagedMemory Memory { get; }

    public VfioDeviceState State
    {
        get
        {
            lock (sync)
            {
                return state;
            }
        }
    }

    /// <summary>PRECOPY_INFO's initial_bytes: state not yet sent once.</summary>
    public long InitialBytes
    {
        get
        {
            lock (sync)
            {
                return (Memory.PageCount - initialCursor) * PagedMemory.PageSize;
            }
        }
    }

    /// <summary>PRECOPY_INFO's dirty_bytes: state already sent and rewritten since.</summary>
    public long DirtyBytes
    {
        get
        {
            lock (sync)
            {
                return Memory.CountDirtyBelow(initialCursor) * PagedMemory.PageSize;
            }
        }
    }

    public long Transferred
    {
        get
        {
            lock (sync)
            {
                return transferred;
            }
        }
    }

    public DeviceDigest Digest()
    {
        var memory = Memory.Digest();
        ulong configHash;
        lock (sync)
        {
            configHash = XxHash3.HashToUInt64(config);
        }

        return new DeviceDigest($"{memory.Hex}{configHash:x16}");
    }

    /// <summary>
    /// The VM started or stopped outside a migration (QEMU's vmstate change handler): STOP and RUNNING
    /// follow it; migration states are left alone.
    /// </summary>
    public void VmStateChanged(bool running)
    {
        lock (sync)
        {
            state = (running, state) switch
            {
                (true, VfioDeviceState.Stop) => VfioDeviceState.Running,
                (false, VfioDeviceState.Running) => VfioDeviceState.Stop,
                _ => state,
            };
        }
    }

    /// <summary>The device's own activity rewrites ceil(bytes / 4 KiB) random pages; ignored unless it is running.</summary>
    public void Dirty(long bytes, Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        var pageCount = Memory.PageCount;
        if (bytes <= 0 || pageCount == 0)
        {
            return;
        }

        var writes = (bytes + PagedMemory.PageSize - 1) / PagedMemory.PageSize;
        var noise = NoiseSource.From(random);
        // Under the device lock so a write can never slip in after STOP_COPY has drained.
        lock (sync)
        {
            if (state is not (VfioDeviceState.Running or VfioDeviceState.PreCopy))
            {
                return;
            }

            for (long i = 0; i < writes; i++)
            {
                Memory.WriteNoisePage(random.NextInt64(pageCount), ref noise, guest: true);
            }
        }
    }

    // ---- source ----

    public void SaveSetup(SaveContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        lock (sync)
        {
            state = VfioDeviceState.PreCopy;
            Memory.ClearDirtyLog();
            switchoverAck = context.SwitchoverAck;
            initDataSent = configSent = endSent = false;
            initialCursor = dirtyCursor = transferred = 0;
            saving = true;
        }
    }

    public long PendingEstimate()
    {
        lock (sync)
        {
            return Pending();
        }
    }

    /// <summary>QEMU asks the device for its stop-copy size here; the model knows it exactly anyway.</summary>
    public long PendingExact() => PendingEstimate();

    public DeviceChunk? SaveIterate(int maxBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxBytes);
        lock (sync)
        {
            RequireSaving();
            if (state != VfioDeviceState.PreCopy)
            {
                throw new InvalidOperationException($"{Name}: save_live_iterate in {state}");
            }

            var limit = Math.Min(maxBytes, DataBufferSize);
            using var writer = new ChunkWriter(limit + VfioRecord.HeaderSize + PagedMemory.PageSize);
            EmitInitial(writer, limit);
            if (initialCursor == Memory.PageCount && switchoverAck && !initDataSent && Fits(writer, VfioRecord.HeaderSize, limit))
            {
                WriteRecord(writer, VfioRecord.InitDataSent, 0, ReadOnlySpan<byte>.Empty);
                initDataSent = true;
            }

            if (initialCursor == Memory.PageCount && (!switchoverAck || initDataSent))
            {
                EmitDirty(writer, limit);
            }

            return Hand(writer);
        }
    }

    public DeviceChunk? SaveCompleteNext(int maxBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxBytes);
        lock (sync)
        {
            RequireSaving();
            if (endSent)
            {
                return null;
            }

            state = VfioDeviceState.StopCopy;
            var limit = Math.Min(maxBytes, DataBufferSize);
            using var writer = new ChunkWriter(limit + VfioRecord.HeaderSize + ConfigSize);
            EmitInitial(writer, limit);
            if (initialCursor == Memory.PageCount)
            {
                EmitDirty(writer, limit);
            }

            if (initialCursor == Memory.PageCount && Memory.DirtyLogCount == 0 && !configSent
                && Fits(writer, VfioRecord.HeaderSize + ConfigSize, limit))
            {
                WriteRecord(writer, VfioRecord.Config, 0, config);
                configSent = true;
            }

            if (configSent && Fits(writer, VfioRecord.HeaderSize, limit))
            {
                WriteRecord(writer, VfioRecord.EndOfState, 0, ReadOnlySpan<byte>.Empty);
                endSent = true;
            }

            return Hand(writer);
        }
    }

    public void SaveCleanup()
    {
        lock (sync)
        {
            // Back to RUNNING: after a failed migration the source VM carries on with this device.
            saving = false;
            state = VfioDeviceState.Running;
            initDataSent = configSent = endSent = false;
            initialCursor = dirtyCursor = 0;
        }
    }

    private long Pending() =>
        (Memory.PageCount - initialCursor) * PagedMemory.PageSize
        + Memory.CountDirtyBelow(initialCursor) * PagedMemory.PageSize
        + (configSent ? 0 : ConfigSize);

    /// <summary>The next stretch of initial bytes as one data record of whole pages (at least one page).</summary>
    private void EmitInitial(ChunkWriter writer, int limit)
    {
        var left = Memory.PageCount - initialCursor;
        if (left == 0)
        {
            return;
        }

        var room = (limit - writer.WrittenCount - VfioRecord.HeaderSize) / PagedMemory.PageSize;
        var pages = (int)Math.Min(left, writer.WrittenCount == 0 ? Math.Max(1, room) : room);
        if (pages <= 0)
        {
            return;
        }

        var length = pages * PagedMemory.PageSize;
        var span = writer.GetSpan(VfioRecord.HeaderSize + length);
        WriteHeader(span, VfioRecord.Data, initialCursor * PagedMemory.PageSize, length);
        for (var i = 0; i < pages; i++)
        {
            // Clearing the dirty bit as the page goes: only rewrites behind the cursor count as dirty bytes.
            Memory.ReadPageClearingDirty(initialCursor + i, span.Slice(VfioRecord.HeaderSize + i * PagedMemory.PageSize, PagedMemory.PageSize));
        }

        writer.Advance(VfioRecord.HeaderSize + length);
        initialCursor += pages;
    }

    /// <summary>Re-sends pages dirtied after they went out, one data record per page, while they fit.</summary>
    private void EmitDirty(ChunkWriter writer, int limit)
    {
        const int recordSize = VfioRecord.HeaderSize + PagedMemory.PageSize;
        while (Fits(writer, recordSize, limit))
        {
            var page = Memory.NextDirty(dirtyCursor);
            if (page < 0)
            {
                return;
            }

            var span = writer.GetSpan(recordSize);
            WriteHeader(span, VfioRecord.Data, page * PagedMemory.PageSize, PagedMemory.PageSize);
            Memory.ReadPageClearingDirty(page, span.Slice(VfioRecord.HeaderSize, PagedMemory.PageSize));
            writer.Advance(recordSize);
            dirtyCursor = page + 1;
        }
    }

    // An empty chunk takes anything so progress never stalls on a small budget.
    private static bool Fits(ChunkWriter writer, int size, int limit) =>
        writer.WrittenCount == 0 || writer.WrittenCount + size <= limit;

    private static void WriteRecord(ChunkWriter writer, byte tag, long offset, ReadOnlySpan<byte> data)
    {
        var span = writer.GetSpan(VfioRecord.HeaderSize + data.Length);
        WriteHeader(span, tag, offset, data.Length);
        data.CopyTo(span[VfioRecord.HeaderSize..]);
        writer.Advance(VfioRecord.HeaderSize + data.Length);
    }

    private static void WriteHeader(Span<byte> span, byte tag, long offset, int length)
    {
        span[0] = tag;
        BinaryPrimitives.WriteInt64LittleEndian(span[1..], offset);
        BinaryPrimitives.WriteInt32LittleEndian(span[(1 + sizeof(long))..], length);
    }

    private DeviceChunk? Hand(ChunkWriter writer)
    {
        transferred += writer.WrittenCount;
        return writer.ToChunk();
    }

    private void RequireSaving()
    {
        if (!saving)
        {
            throw new InvalidOperationException($"{Name}: save_setup has not run");
        }
    }

    // ---- destination ----

    /// <summary>QEMU's vfio switchover_ack_needed: the device supports precopy.</summary>
    public bool SwitchoverAckNeeded => Spec.Precopy;

    public bool LoadComplete
    {
        get
        {
            lock (sync)
            {
                return loadComplete;
            }
        }
    }

    /// <summary>The destination's resource allocation has begun (on INIT_DATA_SENT, or at the end of state without it).</summary>
    public bool AllocationStarted
    {
        get
        {
            lock (sync)
            {
                return allocation is not null;
            }
        }
    }

    public bool AllocationCompleted => allocationCompleted;

    public void LoadSetup(LoadContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        lock (sync)
        {
            CancelAllocation();
            loadContext = context;
            state = VfioDeviceState.Resuming;
            endReceived = loadComplete = false;
        }
    }

    public async ValueTask LoadState(DeviceChunk chunk, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(chunk);
        cancellationToken.ThrowIfCancellationRequested();
        Task? finalWait;
        lock (sync)
        {
            finalWait = Apply(chunk.Payload);
        }

        if (finalWait is null)
        {
            return;
        }

        // Without switchover-ack this is where the allocation time lands: inside the downtime.
        await finalWait.WaitAsync(cancellationToken).ConfigureAwait(false);
        lock (sync)
        {
            if (endReceived && state == VfioDeviceState.Resuming)
            {
                state = VfioDeviceState.Stop;
                loadComplete = true;
            }
        }
    }

    public void LoadCleanup()
    {
        lock (sync)
        {
            CancelAllocation();
            loadContext = null;
            endReceived = false;
            if (!loadComplete)
            {
                // A half-loaded device is reset; a loaded one keeps its state (cleanup follows success too).
                Memory.Clear();
                Array.Clear(config);
                state = VfioDeviceState.Running;
            }
        }
    }

    /// <summary>Applies one chunk; returns the allocation to await when it held the end-of-state marker.</summary>
    private Task? Apply(byte[] payload)
    {
        if (loadContext is null || state != VfioDeviceState.Resuming)
        {
            throw new DeviceLoadException($"{Name}: state arrived while the device is {state}, not resuming");
        }

        Task? finalWait = null;
        var offset = 0;
        while (offset < payload.Length)
        {
            if (endReceived)
            {
                throw Malformed(offset, "data after the end-of-state marker");
            }

            if (payload.Length - offset < VfioRecord.HeaderSize)
            {
                throw Malformed(offset, "truncated record header");
            }

            var tag = payload[offset];
            var at = BinaryPrimitives.ReadInt64LittleEndian(payload.AsSpan(offset + 1));
            var length = BinaryPrimitives.ReadInt32LittleEndian(payload.AsSpan(offset + 1 + sizeof(long)));
            if (length < 0 || length > payload.Length - offset - VfioRecord.HeaderSize)
            {
                throw Malformed(offset, $"record length {length} runs past the chunk");
            }

            var data = payload.AsSpan(offset + VfioRecord.HeaderSize, length);
            switch (tag)
            {
                case VfioRecord.Data:
                    LoadData(at, data, offset);
                    break;
                case VfioRecord.Config:
                    if (at != 0 || length != ConfigSize)
                    {
                        throw Malformed(offset, $"config record of {length} bytes, expected {ConfigSize}");
                    }

                    data.CopyTo(config);
                    break;
                case VfioRecord.InitDataSent:
                    RequireMarker(at, length, offset);
                    if (!loadContext.SwitchoverAck)
                    {
                        throw new DeviceLoadException($"{Name}: Received INIT_DATA_SENT but switchover ack is not used");
                    }

                    StartAllocation(approve: true);
                    break;
                case VfioRecord.EndOfState:
                    RequireMarker(at, length, offset);
                    endReceived = true;
                    StartAllocation(approve: false);
                    finalWait = allocation;
                    break;
                default:
                    throw Malformed(offset, $"unknown record tag 0x{tag:x2}");
            }

            offset += VfioRecord.HeaderSize + length;
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
        {
            Memory.LoadPage(first + i, data.Slice(i * PagedMemory.PageSize, PagedMemory.PageSize));
        }
    }

    /// <summary>
    /// Starts the destination's resource allocation once. Approval only follows INIT_DATA_SENT: without
    /// the marker no switchover is waiting on this device.
    /// </summary>
    private void StartAllocation(bool approve)
    {
        if (allocation is not null)
        {
            return;
        }

        allocationCancel = new CancellationTokenSource();
        var token = allocationCancel.Token;
        var context = loadContext!;
        var allocationTime = Spec.AllocationTime;
        var clock = time;
        // On the pool, so ApproveSwitchover never runs inside LoadState's lock.
        allocation = Task.Run(
            async () =>
            {
                // At least the whole allocation time: a timer may fire a few milliseconds early. The time left
                // is read once per pass: read again for the wait, it can be negative by then (the thread was
                // descheduled in between), which Task.Delay refuses or, at -1 ms, waits on forever: no approval.
                var start = clock.GetTimestamp();
                for (var left = allocationTime; left > TimeSpan.Zero; left = allocationTime - clock.GetElapsedTime(start))
                {
                    await Task.Delay(left, clock, token).ConfigureAwait(false);
                }

                token.ThrowIfCancellationRequested(); // cancelled by LoadCleanup just as the delay ended
                allocationCompleted = true;
                if (approve && Interlocked.Exchange(ref approved, 1) == 0)
                {
                    context.ApproveSwitchover();
                }
            },
            token);
    }

    private void CancelAllocation()
    {
        allocationCancel?.Cancel();
        allocationCancel?.Dispose();
        allocationCancel = null;
        allocation = null;
        allocationCompleted = false;
        approved = 0;
    }

    private void RequireMarker(long at, int length, int offset)
    {
        if (at != 0 || length != 0)
        {
            throw Malformed(offset, "marker with a payload");
        }
    }

    private DeviceLoadException Malformed(int offset, string reason) =>
        new($"{Name}: malformed chunk at offset {offset}: {reason}");
}
