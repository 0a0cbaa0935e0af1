using System.Buffers;

namespace Orchestrator.Devices.Memory;

/// <summary>Builds a chunk's payload in a pooled scratch buffer: one exact-size array per chunk, as fresh large arrays make streaming slow.</summary>
internal sealed class ChunkWriter : IDisposable
{
    private byte[] buffer;

    public ChunkWriter(int capacity) => buffer = ArrayPool<byte>.Shared.Rent(capacity);

    public int WrittenCount { get; private set; }

    /// <summary>Room for at least <paramref name="size"/> bytes after what is written.</summary>
    public Span<byte> GetSpan(int size)
    {
        if (buffer.Length - WrittenCount < size)
        {
            var larger = ArrayPool<byte>.Shared.Rent(Math.Max(buffer.Length * 2, WrittenCount + size));
            buffer.AsSpan(0, WrittenCount).CopyTo(larger);
            ArrayPool<byte>.Shared.Return(buffer);
            buffer = larger;
        }

        return buffer.AsSpan(WrittenCount);
    }

    public void Advance(int count) => WrittenCount += count;

    /// <summary>The payload as a chunk, or null when nothing was written.</summary>
    public DeviceChunk? ToChunk() =>
        WrittenCount == 0 ? null : new DeviceChunk(buffer.AsSpan(0, WrittenCount).ToArray());

    public void Dispose()
    {
        ArrayPool<byte>.Shared.Return(buffer);
        buffer = [];
    }
}
