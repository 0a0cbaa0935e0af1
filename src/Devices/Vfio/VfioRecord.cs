using System.Buffers.Binary;

namespace Orchestrator.Devices.Vfio;

/// <summary>
/// VFIO stream records: <c>[byte tag][int64 LE offset][int32 LE length][length bytes]</c>; tags are the low byte of QEMU's
/// VFIO_MIG_FLAG_* values, markers carry offset 0 and length 0.
/// </summary>
internal readonly ref struct VfioRecord(byte tag, long offset, ReadOnlySpan<byte> payload)
{
    /// <summary>END_OF_STATE: the device's stream is complete.</summary>
    public const byte EndOfState = 0x01;

    /// <summary>DEV_CONFIG_STATE: the config space / register blob, sent only in stop-copy.</summary>
    public const byte Config = 0x02;

    /// <summary>DEV_DATA_STATE: device state bytes at a byte offset (whole pages).</summary>
    public const byte Data = 0x04;

    /// <summary>INIT_DATA_SENT: the initial bytes are all out (switchover-ack only).</summary>
    public const byte InitDataSent = 0x05;

    public const int HeaderSize = 1 + sizeof(long) + sizeof(int);

    public byte Tag { get; } = tag;

    /// <summary>Byte offset into the device state (data records); 0 otherwise.</summary>
    public long Offset { get; } = offset;

    public ReadOnlySpan<byte> Payload { get; } = payload;

    public bool IsMarker => Offset == 0 && Payload.IsEmpty;

    /// <summary>Appends a whole record.</summary>
    public static void Write(ChunkWriter writer, byte tag, long offset, ReadOnlySpan<byte> data)
    {
        var span = writer.GetSpan(HeaderSize + data.Length);
        WriteHeader(span, tag, offset, data.Length);
        data.CopyTo(span[HeaderSize..]);
        writer.Advance(HeaderSize + data.Length);
    }

    /// <summary>A header into <paramref name="span"/>; the caller writes the <paramref name="length"/> bytes after it.</summary>
    public static void WriteHeader(Span<byte> span, byte tag, long offset, int length)
    {
        span[0] = tag;
        BinaryPrimitives.WriteInt64LittleEndian(span[1..], offset);
        BinaryPrimitives.WriteInt32LittleEndian(span[(1 + sizeof(long))..], length);
    }

    /// <summary>
    /// Reads the record at <paramref name="at"/>: null, or why it is malformed (a truncated header, a length past the chunk).
    /// The next record starts at <c>at + HeaderSize + record.Payload.Length</c>.
    /// </summary>
    public static string? Read(ReadOnlySpan<byte> payload, int at, out VfioRecord record)
    {
        record = default;
        if (payload.Length - at < HeaderSize)
            return "truncated record header";

        var length = BinaryPrimitives.ReadInt32LittleEndian(payload[(at + 1 + sizeof(long))..]);
        if (length < 0 || length > payload.Length - at - HeaderSize)
            return $"record length {length} runs past the chunk";

        record = new VfioRecord(payload[at], BinaryPrimitives.ReadInt64LittleEndian(payload[(at + 1)..]), payload.Slice(at + HeaderSize, length));
        return null;
    }
}
