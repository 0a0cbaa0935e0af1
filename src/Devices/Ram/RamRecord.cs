namespace Orchestrator.Devices.Ram;

/// <summary>
/// RAM stream records: <c>[int64 LE page index][byte flag][4096 bytes, only for Page]</c>.
/// Flag values are QEMU's RAM_SAVE_FLAG_* so a stream dump reads familiar.
/// </summary>
internal static class RamRecord
{
    /// <summary>An all-zero page, sent as a marker only (QEMU counts it as <c>duplicate</c>).</summary>
    public const byte Zero = 0x02;

    /// <summary>A normal page: the 4 KiB follow.</summary>
    public const byte Page = 0x08;

    /// <summary>End of the device's stream; its page index is -1.</summary>
    public const byte EndOfStream = 0x10;

    public const int HeaderSize = sizeof(long) + 1;
    public const int PageRecordSize = HeaderSize + Memory.PagedMemory.PageSize;
}
