using System.Buffers;

namespace Orchestrator.Devices.Memory;

/// <summary>Builds a chunk's payload in a pooled buffer, which the chunk then owns: no copy, no fresh large array per chunk.</summary>
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

    /// <summary>The payload as a chunk that takes the buffer over (<see cref="DeviceChunk.Release"/> returns it), or null when nothing was written.</summary>
    public DeviceChunk? ToChunk()
    {
        if (WrittenCount == 0)
            return null;
        var chunk = DeviceChunk.Pooled(buffer, WrittenCount);
        buffer = [];
        WrittenCount = 0;
        return chunk;
    }

    public void Dispose()
    {
        if (buffer.Length > 0)
            ArrayPool<byte>.Shared.Return(buffer);
        buffer = [];
    }
}
