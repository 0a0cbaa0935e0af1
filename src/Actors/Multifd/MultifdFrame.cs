using System.Buffers;
using System.Buffers.Binary;

namespace Orchestrator.Actors.Multifd;

/// <summary>
/// A multifd channel's bytes: first a handshake (magic, version, channel index, token), then frames of
/// [version:1][device:2][seq:8][length:4] and the payload; little-endian. The destination reassembles each device's frames by seq.
/// </summary>
internal static class MultifdFrame
{
    public const byte Version = 1;
    public const int HeaderSize = 1 + 2 + 8 + 4;

    /// <summary>No payload is larger: a length above it is a frame that does not parse, not a reason to allocate.</summary>
    public const int MaxPayload = 16 << 20;

    /// <summary>QEMU's MULTIFD_MAGIC.</summary>
    public const uint Magic = 0x11223344;
    public const int HandshakeSize = 4 + 1 + 1 + MultifdToken.Size;

    public readonly record struct Header(ushort Device, long Seq, int Length);

    public static void WriteHeader(Span<byte> span, ushort device, long seq, int length)
    {
        span[0] = Version;
        BinaryPrimitives.WriteUInt16LittleEndian(span[1..], device);
        BinaryPrimitives.WriteInt64LittleEndian(span[3..], seq);
        BinaryPrimitives.WriteInt32LittleEndian(span[11..], length);
    }

    /// <summary>Null when the header parses for a migration of <paramref name="devices"/> devices; else what is wrong with it.</summary>
    public static string? ReadHeader(ReadOnlySpan<byte> span, int devices, out Header header)
    {
        header = new Header(BinaryPrimitives.ReadUInt16LittleEndian(span[1..]), BinaryPrimitives.ReadInt64LittleEndian(span[3..]),
            BinaryPrimitives.ReadInt32LittleEndian(span[11..]));
        if (span[0] != Version)
            return $"frame of version {span[0]}, expected {Version}";
        if (header.Device >= devices)
            return $"frame for device {header.Device}, the VM has {devices}";
        if (header.Seq < 0)
            return $"frame with sequence number {header.Seq}";
        if (header.Length is <= 0 or > MaxPayload)
            return $"frame with a payload of {header.Length} bytes (1 to {MaxPayload})";
        return null;
    }

    /// <summary>
    /// The next whole frame of <paramref name="buffer"/>, sliced off it; false when more bytes are needed. A header that does not parse
    /// throws <see cref="MultifdFrameException"/>. The payload is copied into a pooled buffer the chunk owns (the loader releases it once
    /// applied), so the pipe's buffer can be reused at once.
    /// </summary>
    public static bool TryRead(ref ReadOnlySequence<byte> buffer, int devices, out Header header, out DeviceChunk? payload)
    {
        header = default;
        payload = null;
        if (buffer.Length < HeaderSize)
            return false;
        Span<byte> head = stackalloc byte[HeaderSize];
        buffer.Slice(0, HeaderSize).CopyTo(head);
        if (ReadHeader(head, devices, out header) is { } error)
            throw new MultifdFrameException(error);
        if (buffer.Length < HeaderSize + header.Length)
            return false;
        var rented = ArrayPool<byte>.Shared.Rent(header.Length);
        buffer.Slice(HeaderSize, header.Length).CopyTo(rented);
        payload = DeviceChunk.Pooled(rented, header.Length);
        buffer = buffer.Slice(HeaderSize + header.Length);
        return true;
    }

    public static void WriteHandshake(Span<byte> span, int channel, MultifdToken token)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(span, Magic);
        span[4] = Version;
        span[5] = checked((byte)channel);
        token.Bytes().CopyTo(span[6..]);
    }

    /// <summary>The channel index a handshake claims, or the reason it is refused (the token is compared in constant time).</summary>
    public static string? ReadHandshake(ReadOnlySpan<byte> span, MultifdToken token, int channels, out int channel)
    {
        channel = span[5];
        if (BinaryPrimitives.ReadUInt32LittleEndian(span) != Magic || span[4] != Version)
            return "not a multifd handshake of this version";
        if (!token.Matches(span.Slice(6, MultifdToken.Size)))
            return "wrong token";
        if (channel >= channels)
            return $"channel {channel} of {channels}";
        return null;
    }
}

/// <summary>A channel delivered bytes that are not a frame.</summary>
internal sealed class MultifdFrameException(string message) : Exception(message);
