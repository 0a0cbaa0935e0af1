using System.Buffers;

namespace Orchestrator.Devices.Contract;

/// <summary>
/// One piece of a device's migration stream; the payload's layout is the device's, the transport only moves and counts it.
/// A chunk may own a buffer rented from <see cref="ArrayPool{T}.Shared"/> (a device's save side, a multifd channel's receive side):
/// whoever reads it last (the transport once the bytes are copied out, the loader once they are applied) calls <see cref="Release"/>.
/// A chunk never released is collected like any object; the pool just misses one array.
/// </summary>
public sealed class DeviceChunk(ReadOnlyMemory<byte> payload)
{
    private byte[]? _rented;

    public ReadOnlyMemory<byte> Payload { get; } = payload;

    public int Length => Payload.Length;

    /// <summary>A chunk of the first <paramref name="length"/> bytes of <paramref name="rented"/>, an array from the shared pool it now owns.</summary>
    public static DeviceChunk Pooled(byte[] rented, int length) => new(rented.AsMemory(0, length)) { _rented = rented };

    /// <summary>Gives a pooled buffer back; the payload must not be read after. Does nothing the second time, or for a chunk that owns none.</summary>
    public void Release()
    {
        if (Interlocked.Exchange(ref _rented, null) is { } rented)
            ArrayPool<byte>.Shared.Return(rented);
    }
}
