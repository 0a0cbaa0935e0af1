namespace Orchestrator.Devices.Ram;

/// <summary>
/// Guest RAM, migrated as QEMU's ram.c does: a migration bitmap starting all-dirty, a dirty log the guest writes, explicit syncs folding
/// the log into the bitmap, zero pages sent as markers. One instance is either a source or a destination.
/// </summary>
public sealed class RamDevice : PagedDevice, IMigratableDevice, IGuestRam
{
    private readonly PageBitmap migrationBitmap;
    private readonly TimeProvider time;

    // Source side, per migration (counters survive SaveCleanup so the final statistics stay readable).
    private bool saving;
    private bool finalSynced;
    private bool endSent;
    private long cursor;
    private long lastSyncTimestamp;
    private long duplicate;
    private long normal;
    private long dirtySyncCount;
    private long dirtyPagesRate;

    // Destination side.
    private LoadContext? loadContext;

    /// <summary>An all-zero RAM (a destination twin, or an empty guest).</summary>
    /// <param name="pattern">Where the guest's writes land.</param>
    /// <param name="time">What the dirty rate is measured with; tests pass a fake one.</param>
    /// <exception cref="ArgumentException">The kind is not ram.</exception>
    public RamDevice(DeviceSpec spec, DirtyPattern pattern = DirtyPattern.Random, TimeProvider? time = null)
        : base(spec, "RAM", DeviceKind.Ram)
    {
        Pattern = pattern;
        this.time = time ?? TimeProvider.System;
        migrationBitmap = new PageBitmap(Memory.PageCount);
    }

    /// <summary>A source RAM, about half its pages noise and half zero by <paramref name="seed"/>, so a stream carries zero markers and normal pages.</summary>
    public static RamDevice Filled(DeviceSpec spec, DirtyPattern pattern, int seed, TimeProvider? time = null)
    {
        var device = new RamDevice(spec, pattern, time);
        var random = new Random(seed);
        var noise = NoiseSource.From(random);
        for (long page = 0; page < device.Memory.PageCount; page++)
        {
            if (random.Next(2) == 0)
                device.Memory.WriteNoisePage(page, ref noise, guest: false);
        }

        return device;
    }

    public DirtyPattern Pattern { get; }

    public RamStatistics Statistics
    {
        get
        {
            lock (Sync)
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
                    Transferred: Transferred);
            }
        }
    }

    public void FlipBitForFaultInjection()
    {
        Span<byte> page = stackalloc byte[PagedMemory.PageSize];
        Memory.ReadPage(0, page);
        page[0] ^= 0x01;
        Memory.LoadPage(0, page);
    }

    /// <summary>Guest writes, placed by the VM's pattern.</summary>
    private protected override void Rewrite(long pages, Random random, ref NoiseSource noise)
    {
        var count = Memory.PageCount;
        var hot = Math.Max(1, count / 10);
        for (long i = 0; i < pages; i++)
        {
            var page = Pattern switch
            {
                DirtyPattern.HotSet when random.Next(10) < 9 || hot == count => random.NextInt64(hot),
                DirtyPattern.HotSet => hot + random.NextInt64(count - hot),
                _ => random.NextInt64(count),
            };
            Memory.WriteNoisePage(page, ref noise, guest: true);
        }
    }

    // ---- source ----

    public void SaveSetup(SaveContext context)
    {
        lock (Sync)
        {
            // QEMU's ram_save_setup: every page is to be sent, and setup counts as the first sync.
            Memory.ClearDirtyLog();
            migrationBitmap.SetAll();
            cursor = 0;
            duplicate = normal = dirtyPagesRate = 0;
            ResetTransferred();
            dirtySyncCount = 1;
            lastSyncTimestamp = time.GetTimestamp();
            finalSynced = endSent = false;
            saving = true;
        }
    }

    public long PendingEstimate()
    {
        lock (Sync)
            return migrationBitmap.Count * PagedMemory.PageSize;
    }

    public long PendingExact()
    {
        lock (Sync)
        {
            if (saving && !finalSynced)
                SyncDirtyBitmap();

            return migrationBitmap.Count * PagedMemory.PageSize;
        }
    }

    public DeviceChunk? SaveIterate(int maxBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxBytes);
        lock (Sync)
        {
            RequireSaving();
            if (migrationBitmap.Count == 0)
                return null;

            using var writer = NewWriter(maxBytes);
            EmitPages(writer, maxBytes);
            return Hand(writer);
        }
    }

    public DeviceChunk? SaveCompleteNext(int maxBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxBytes);
        lock (Sync)
        {
            RequireSaving();
            if (endSent)
                return null;

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
                RamRecord.WriteEnd(writer);
                endSent = true;
            }

            return Hand(writer);
        }
    }

    public void SaveCleanup()
    {
        lock (Sync)
        {
            // Guest writes keep landing in the dirty log; the next SaveSetup clears it.
            saving = false;
            migrationBitmap.ClearAll();
            cursor = 0;
            finalSynced = endSent = false;
        }
    }

    /// <summary>
    /// Emits page records from the cursor on (wrapping, like QEMU's last_seen_block scan) while they fit in <paramref name="maxBytes"/>;
    /// the first always goes, so even a tiny budget makes progress.
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
                return;

            RamRecord.WriteHeader(span, page, zero ? RamRecord.Zero : RamRecord.Page);
            writer.Advance(size);
            migrationBitmap.Clear(page);
            cursor = page + 1;
            duplicate += zero ? 1 : 0;
            normal += zero ? 0 : 1;
        }
    }

    /// <summary>QEMU's migration_bitmap_sync: fold the dirty log into the migration bitmap and measure the dirty rate.</summary>
    private void SyncDirtyBitmap()
    {
        var now = time.GetTimestamp();
        var dirtied = Memory.SyncDirtyLogInto(migrationBitmap);
        var seconds = time.GetElapsedTime(lastSyncTimestamp, now).TotalSeconds;
        if (seconds > 0)
            dirtyPagesRate = (long)Math.Round(dirtied / seconds);

        lastSyncTimestamp = now;
        dirtySyncCount++;
    }

    private static ChunkWriter NewWriter(int maxBytes) =>
        new(Math.Min(maxBytes, 1 << 20) + RamRecord.PageRecordSize);

    private void RequireSaving()
    {
        if (!saving)
            throw new InvalidOperationException($"{Name}: save_setup has not run");
    }

    // ---- destination ----

    public bool SwitchoverAckNeeded => false;

    public void LoadSetup(LoadContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        lock (Sync)
        {
            loadContext = context;
            Loaded = false;
        }
    }

    public ValueTask LoadState(DeviceChunk chunk, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(chunk);
        if (cancellationToken.IsCancellationRequested)
            return ValueTask.FromCanceled(cancellationToken);

        try
        {
            lock (Sync)
                Apply(chunk.Payload.Span);

            return ValueTask.CompletedTask;
        }
        catch (DeviceLoadException e)
        {
            return ValueTask.FromException(e);
        }
    }

    public void LoadCleanup()
    {
        lock (Sync)
        {
            // Records apply whole, so only the context is half-state; loaded pages stay (QEMU runs load_cleanup after success too).
            loadContext = null;
        }
    }

    private void Apply(ReadOnlySpan<byte> payload)
    {
        if (loadContext is null)
            throw new DeviceLoadException($"{Name}: state arrived before load setup");

        for (var offset = 0; offset < payload.Length;)
        {
            if (Loaded)
                throw Malformed(offset, "data after the end-of-stream marker");

            if (RamRecord.Read(payload, offset, Memory.PageCount, out var record) is { } problem)
                throw Malformed(offset, problem);

            switch (record.Flag)
            {
                case RamRecord.Zero:
                    Memory.LoadZeroPage(record.PageIndex);
                    break;
                case RamRecord.Page:
                    Memory.LoadPage(record.PageIndex, record.Content);
                    break;
                default:
                    Loaded = true;
                    break;
            }

            offset += record.Size;
        }
    }
}
