using System.Buffers.Binary;
using System.Diagnostics;
using Orchestrator.Devices.Contract;
using Orchestrator.Devices.Machine;
using Orchestrator.Devices.Memory;

namespace Orchestrator.Devices.Ram;

/// <summary>
/// Guest RAM, migrated the way QEMU's ram.c does it: a migration bitmap that starts all-dirty, a
/// dirty log the guest writes into, explicit syncs that fold the log into the bitmap, and zero pages
/// sent as markers. One instance is either a source or a destination.
/// </summary>
public sealed class RamDevice : IMigratableDevice
{
    private readonly Lock sync = new();
    private readonly PageBitmap migrationBitmap;
    private readonly DirtyPattern pattern;

    // Source side, per migration (counters survive SaveCleanup so the final statistics stay readable).
    private bool saving;
    private bool finalSynced;
    private bool endSent;
    private long cursor;
    private long lastSyncTimestamp;
    private long duplicate;
    private long normal;
    private long transferred;
    private long dirtySyncCount;
    private long dirtyPagesRate;

    // Destination side.
    private LoadContext? loadContext;
    private bool loadComplete;

    /// <summary>An all-zero RAM (a destination twin, or an empty guest).</summary>
    public RamDevice(DeviceSpec spec, DirtyPattern pattern = DirtyPattern.Random)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (spec.Kind != DeviceKind.Ram)
        {
            throw new ArgumentException($"a RAM device needs kind ram, not {spec.Kind.Name()}", nameof(spec));
        }

        Spec = spec;
        this.pattern = pattern;
        Memory = new PagedMemory(spec.SizeBytes);
        migrationBitmap = new PageBitmap(Memory.PageCount);
    }

    /// <summary>
    /// A source RAM with content: about half the pages noise, the rest zero, chosen page by page from
    /// <paramref name="seed"/>, so a stream carries both zero markers and normal pages.
    /// </summary>
    public static RamDevice Filled(DeviceSpec spec, DirtyPattern pattern, int seed)
    {
        var device = new RamDevice(spec, pattern);
        var random = new Random(seed);
        var noise = NoiseSource.From(random);
        for (long page = 0; page < device.Memory.PageCount; page++)
        {
            if (random.Next(2) == 0)
            {
                device.Memory.WriteNoisePage(page, ref noise, guest: false);
            }
        }

        return device;
    }

    public DeviceSpec Spec { get; }
    public DeviceName Name => Spec.Name;
    public DeviceKind Kind => DeviceKind.Ram;
    public DirtyPattern Pattern => pattern;

    /// <summary>The pages themselves; tests poke at them.</summary>
    internal PagedMemory Memory { get; }

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

    public RamStatistics Statistics
    {
        get
        {
            lock (sync)
            {
                return new RamStatistics(
                    Total: Memory.SizeBytes,
                    Duplicate: duplicate,
                    Normal: normal,
                    NormalBytes: normal * PagedMemory.PageSize,
                    DirtySyncCount: dirtySyncCount,
                    DirtyPagesRate: dirtyPagesRate,
                    PageSize: PagedMemory.PageSize,
                    Remaining: migrationBitmap.Count * PagedMemory.PageSize,
                    Transferred: transferred);
            }
        }
    }

    public DeviceDigest Digest() => Memory.Digest();

    // ---- source ----

    public void SaveSetup(SaveContext context)
    {
        lock (sync)
        {
            // QEMU's ram_save_setup: every page is to be sent, and setup counts as the first sync.
            Memory.ClearDirtyLog();
            migrationBitmap.SetAll();
            cursor = 0;
            duplicate = normal = transferred = dirtyPagesRate = 0;
            dirtySyncCount = 1;
            lastSyncTimestamp = Stopwatch.GetTimestamp();
            finalSynced = endSent = false;
            saving = true;
        }
    }

    public long PendingEstimate()
    {
        lock (sync)
        {
            return migrationBitmap.Count * PagedMemory.PageSize;
        }
    }

    public long PendingExact()
    {
        lock (sync)
        {
            if (saving && !finalSynced)
            {
                SyncDirtyBitmap();
            }

            return migrationBitmap.Count * PagedMemory.PageSize;
        }
    }

    public DeviceChunk? SaveIterate(int maxBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxBytes);
        lock (sync)
        {
            RequireSaving();
            if (migrationBitmap.Count == 0)
            {
                return null;
            }

            using var writer = NewWriter(maxBytes);
            EmitPages(writer, maxBytes);
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

            if (!finalSynced)
            {
                // The VM is stopped now: this sync catches every write since the last one.
                SyncDirtyBitmap();
                finalSynced = true;
            }

            using var writer = NewWriter(maxBytes);
            EmitPages(writer, maxBytes);
            if (migrationBitmap.Count == 0 && (writer.WrittenCount == 0 || writer.WrittenCount + RamRecord.HeaderSize <= maxBytes))
            {
                var span = writer.GetSpan(RamRecord.HeaderSize);
                BinaryPrimitives.WriteInt64LittleEndian(span, -1);
                span[sizeof(long)] = RamRecord.EndOfStream;
                writer.Advance(RamRecord.HeaderSize);
                endSent = true;
            }

            return Hand(writer);
        }
    }

    public void SaveCleanup()
    {
        lock (sync)
        {
            // Guest writes keep landing in the dirty log; the next SaveSetup clears it.
            saving = false;
            migrationBitmap.ClearAll();
            cursor = 0;
            finalSynced = endSent = false;
        }
    }

    /// <summary>
    /// Emits page records from the cursor on (wrapping, like QEMU's last_seen_block scan) while they
    /// fit in <paramref name="maxBytes"/>. The first record always goes, so even a tiny budget makes progress.
    /// </summary>
    private void EmitPages(ChunkWriter writer, int maxBytes)
    {
        while (migrationBitmap.Count > 0)
        {
            var page = migrationBitmap.NextSetWrapping(cursor);
            var span = writer.GetSpan(RamRecord.PageRecordSize);
            var content = span.Slice(RamRecord.HeaderSize, PagedMemory.PageSize);
            Memory.ReadPage(page, content);
            var zero = PagedMemory.IsZero(content);
            var size = zero ? RamRecord.HeaderSize : RamRecord.PageRecordSize;
            if (writer.WrittenCount > 0 && writer.WrittenCount + size > maxBytes)
            {
                return;
            }

            BinaryPrimitives.WriteInt64LittleEndian(span, page);
            span[sizeof(long)] = zero ? RamRecord.Zero : RamRecord.Page;
            writer.Advance(size);
            migrationBitmap.Clear(page);
            cursor = page + 1;
            if (zero)
            {
                duplicate++;
            }
            else
            {
                normal++;
            }
        }
    }

    /// <summary>QEMU's migration_bitmap_sync: fold the dirty log into the migration bitmap and measure the dirty rate.</summary>
    private void SyncDirtyBitmap()
    {
        var now = Stopwatch.GetTimestamp();
        var dirtied = Memory.SyncDirtyLogInto(migrationBitmap);
        var seconds = Stopwatch.GetElapsedTime(lastSyncTimestamp, now).TotalSeconds;
        if (seconds > 0)
        {
            dirtyPagesRate = (long)Math.Round(dirtied / seconds);
        }

        lastSyncTimestamp = now;
        dirtySyncCount++;
    }

    private DeviceChunk? Hand(ChunkWriter writer)
    {
        transferred += writer.WrittenCount;
        return writer.ToChunk();
    }

    private static ChunkWriter NewWriter(int maxBytes) =>
        new(Math.Min(maxBytes, 1 << 20) + RamRecord.PageRecordSize);

    private void RequireSaving()
    {
        if (!saving)
        {
            throw new InvalidOperationException($"{Name}: save_setup has not run");
        }
    }

    // ---- destination ----

    public bool SwitchoverAckNeeded => false;

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

    public void LoadSetup(LoadContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        lock (sync)
        {
            loadContext = context;
            loadComplete = false;
        }
    }

    public ValueTask LoadState(DeviceChunk chunk, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(chunk);
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled(cancellationToken);
        }

        try
        {
            lock (sync)
            {
                Apply(chunk.Payload);
            }

            return ValueTask.CompletedTask;
        }
        catch (DeviceLoadException e)
        {
            return ValueTask.FromException(e);
        }
    }

    public void LoadCleanup()
    {
        lock (sync)
        {
            // Records are applied whole, so the only half-state is the context; loaded pages stay
            // (QEMU runs load_cleanup after a successful load too).
            loadContext = null;
        }
    }

    private void Apply(byte[] payload)
    {
        if (loadContext is null)
        {
            throw new DeviceLoadException($"{Name}: state arrived before load setup");
        }

        var offset = 0;
        while (offset < payload.Length)
        {
            if (loadComplete)
            {
                throw Malformed(offset, "data after the end-of-stream marker");
            }

            if (payload.Length - offset < RamRecord.HeaderSize)
            {
                throw Malformed(offset, "truncated record header");
            }

            var page = BinaryPrimitives.ReadInt64LittleEndian(payload.AsSpan(offset));
            var flag = payload[offset + sizeof(long)];
            switch (flag)
            {
                case RamRecord.Zero:
                    CheckPage(page, offset);
                    Memory.LoadZeroPage(page);
                    offset += RamRecord.HeaderSize;
                    break;
                case RamRecord.Page:
                    CheckPage(page, offset);
                    if (payload.Length - offset < RamRecord.PageRecordSize)
                    {
                        throw Malformed(offset, "truncated page");
                    }

                    Memory.LoadPage(page, payload.AsSpan(offset + RamRecord.HeaderSize, PagedMemory.PageSize));
                    offset += RamRecord.PageRecordSize;
                    break;
                case RamRecord.EndOfStream:
                    if (page != -1)
                    {
                        throw Malformed(offset, $"end-of-stream marker with page index {page}");
                    }

                    loadComplete = true;
                    offset += RamRecord.HeaderSize;
                    break;
                default:
                    throw Malformed(offset, $"unknown record flag 0x{flag:x2}");
            }
        }
    }

    private void CheckPage(long page, int offset)
    {
        if ((ulong)page >= (ulong)Memory.PageCount)
        {
            throw Malformed(offset, $"page {page} outside 0..{Memory.PageCount - 1}");
        }
    }

    private DeviceLoadException Malformed(int offset, string reason) =>
        new($"{Name}: malformed chunk at offset {offset}: {reason}");

    // ---- guest ----

    /// <summary>Guest writes: ceil(bytes / 4 KiB) whole pages of fresh noise, placed by the VM's pattern.</summary>
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
        var hot = Math.Max(1, pageCount / 10);
        for (long i = 0; i < writes; i++)
        {
            var page = pattern switch
            {
                DirtyPattern.HotSet when random.Next(10) < 9 || hot == pageCount => random.NextInt64(hot),
                DirtyPattern.HotSet => hot + random.NextInt64(pageCount - hot),
                _ => random.NextInt64(pageCount),
            };
            Memory.WriteNoisePage(page, ref noise, guest: true);
        }
    }
}
