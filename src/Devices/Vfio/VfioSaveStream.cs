namespace Orchestrator.Devices.Vfio;

/// <summary>
/// The source half of one migration's VFIO stream (initial cursor, dirty re-send cursor, markers sent), from save_setup to save_cleanup
/// under the device's lock. Chunks hold whole records within their limit, but an empty chunk takes any, so a small budget never stalls.
/// </summary>
internal sealed class VfioSaveStream(PagedMemory memory, byte[] config, bool switchoverAck)
{
    private const int PageSize = PagedMemory.PageSize;
    private bool initDataSent;
    private bool configSent;
    private long initialCursor; // pages below it have gone out once
    private long dirtyCursor;

    /// <summary>PRECOPY_INFO's initial_bytes: state not yet sent once.</summary>
    public long InitialBytes => (memory.PageCount - initialCursor) * PageSize;

    /// <summary>PRECOPY_INFO's dirty_bytes: state already sent and rewritten since.</summary>
    public long DirtyBytes => memory.CountDirtyBelow(initialCursor) * PageSize;

    /// <summary>Everything still to move: initial, dirty, and the config blob until stop-copy sends it.</summary>
    public long Pending => InitialBytes + DirtyBytes + (configSent ? 0 : config.Length);

    public bool EndSent { get; private set; }

    private bool InitialSent => initialCursor == memory.PageCount;

    /// <summary>Precopy: initial bytes, then INIT_DATA_SENT (with switchover-ack), then dirtied pages.</summary>
    public void Iterate(ChunkWriter writer, int limit)
    {
        EmitInitial(writer, limit);
        if (InitialSent && switchoverAck && !initDataSent && Fits(writer, VfioRecord.HeaderSize, limit))
        {
            VfioRecord.Write(writer, VfioRecord.InitDataSent, 0, ReadOnlySpan<byte>.Empty);
            initDataSent = true;
        }

        if (InitialSent && (!switchoverAck || initDataSent))
            EmitDirty(writer, limit);
    }

    /// <summary>Stop-copy: whatever is left, then the config blob, then END_OF_STATE.</summary>
    public void Complete(ChunkWriter writer, int limit)
    {
        EmitInitial(writer, limit);
        if (InitialSent)
            EmitDirty(writer, limit);

        if (InitialSent && memory.DirtyLogCount == 0 && !configSent && Fits(writer, VfioRecord.HeaderSize + config.Length, limit))
        {
            VfioRecord.Write(writer, VfioRecord.Config, 0, config);
            configSent = true;
        }

        if (configSent && Fits(writer, VfioRecord.HeaderSize, limit))
        {
            VfioRecord.Write(writer, VfioRecord.EndOfState, 0, ReadOnlySpan<byte>.Empty);
            EndSent = true;
        }
    }

    /// <summary>The next stretch of initial bytes as one data record of whole pages (at least one page).</summary>
    private void EmitInitial(ChunkWriter writer, int limit)
    {
        var left = memory.PageCount - initialCursor;
        var room = (limit - writer.WrittenCount - VfioRecord.HeaderSize) / PageSize;
        var pages = (int)Math.Min(left, writer.WrittenCount == 0 ? Math.Max(1, room) : room);
        if (pages <= 0)
            return;

        var length = pages * PageSize;
        var span = writer.GetSpan(VfioRecord.HeaderSize + length);
        VfioRecord.WriteHeader(span, VfioRecord.Data, initialCursor * PageSize, length);
        for (var i = 0; i < pages; i++)
        {
            // Clearing the dirty bit as the page goes: only rewrites behind the cursor count as dirty bytes.
            memory.ReadPageClearingDirty(initialCursor + i, span.Slice(VfioRecord.HeaderSize + (i * PageSize), PageSize));
        }

        writer.Advance(VfioRecord.HeaderSize + length);
        initialCursor += pages;
    }

    /// <summary>Re-sends pages dirtied after they went out, one data record per page, while they fit.</summary>
    private void EmitDirty(ChunkWriter writer, int limit)
    {
        const int recordSize = VfioRecord.HeaderSize + PageSize;
        while (Fits(writer, recordSize, limit))
        {
            var page = memory.NextDirty(dirtyCursor);
            if (page < 0)
                return;

            var span = writer.GetSpan(recordSize);
            VfioRecord.WriteHeader(span, VfioRecord.Data, page * PageSize, PageSize);
            memory.ReadPageClearingDirty(page, span.Slice(VfioRecord.HeaderSize, PageSize));
            writer.Advance(recordSize);
            dirtyCursor = page + 1;
        }
    }

    private static bool Fits(ChunkWriter writer, int size, int limit) =>
        writer.WrittenCount == 0 || writer.WrittenCount + size <= limit;
}
