using System.Buffers.Binary;

namespace Orchestrator.Devices.Ram;

/// <summary>RAM stream records: <c>[int64 LE page index][byte flag][4096 bytes, only for Page]</c>; flags are QEMU's RAM_SAVE_FLAG_*.</summary>
internal readonly ref struct RamRecord(long page, byte flag, ReadOnlySpan<byte> content)
{
    /// <summary>An all-zero page, sent as a marker only (QEMU counts it as <c>duplicate</c>).</summary>
    public const byte Zero = 0x02;

    /// <summary>A normal page: the 4 KiB follow.</summary>
    public const byte Page = 0x08;

    /// <summary>End of the device's stream; its page index is -1.</summary>
    public const byte EndOfStream = 0x10;

    public const int HeaderSize = sizeof(long) + 1;
    public const int PageRecordSize = HeaderSize + PagedMemory.PageSize;

    public long PageIndex { get; } = page;
    public byte Flag { get; } = flag;

    /// <summary>The page's 4 KiB for <see cref="Page"/>; empty otherwise.</summary>
    public ReadOnlySpan<byte> Content { get; } = content;

    public int Size => HeaderSize + Content.Length;

    /// <summary>A header into <paramref name="span"/>; for <see cref="Page"/> the content follows it.</summary>
    public static void WriteHeader(Span<byte> span, long page, byte flag)
    {
        BinaryPrimitives.WriteInt64LittleEndian(span, page);
        span[sizeof(long)] = flag;
    }

    public static void WriteEnd(ChunkWriter writer)
    {
        WriteHeader(writer.GetSpan(HeaderSize), -1, EndOfStream);
        writer.Advance(HeaderSize);
    }

    /// <summary>
    /// Reads the record at <paramref name="at"/>: null, or why it is malformed (a truncated header or page, an unknown flag, a page outside
    /// 0..<paramref name="pageCount"/>-1, an end marker with a page).
    /// </summary>
    public static string? Read(ReadOnlySpan<byte> payload, int at, long pageCount, out RamRecord record)
    {
        record = default;
        if (payload.Length - at < HeaderSize)
            return "truncated record header";

        var page = BinaryPrimitives.ReadInt64LittleEndian(payload[at..]);
        var flag = payload[at + sizeof(long)];
        if (flag is not (Zero or Page or EndOfStream))
            return $"unknown record flag 0x{flag:x2}";

        if (flag == EndOfStream)
        {
            record = new RamRecord(page, flag, default);
            return page == -1 ? null : $"end-of-stream marker with page index {page}";
        }

        if ((ulong)page >= (ulong)pageCount)
            return $"page {page} outside 0..{pageCount - 1}";

        if (flag == Page && payload.Length - at < PageRecordSize)
            return "truncated page";

        record = new RamRecord(page, flag, flag == Page ? payload.Slice(at + HeaderSize, PagedMemory.PageSize) : default);
        return null;
    }
}
