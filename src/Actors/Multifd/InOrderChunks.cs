using System.Diagnostics.CodeAnalysis;

namespace Orchestrator.Actors.Multifd;

/// <summary>
/// One device's frames back in stream order on the destination: they come over several channels, so chunk 7 may land before chunk 6.
/// The source never has more than <c>window</c> chunks of a stream unacknowledged, so at most that many wait here; a frame outside the
/// window, or one seen twice, is a protocol error (QEMU 10 queues VFIO device-state packets the same way).
/// </summary>
internal sealed class InOrderChunks(int window)
{
    private readonly DeviceChunk?[] _waiting = new DeviceChunk?[window];

    /// <summary>The next sequence number the device loads.</summary>
    public long Next { get; private set; }

    /// <summary>Frames held while an earlier one is still on its way.</summary>
    public int Held { get; private set; }

    /// <summary>Null when accepted; else why the frame cannot belong to this stream.</summary>
    public string? Add(long seq, DeviceChunk payload)
    {
        if (seq < Next)
            return $"chunk {seq} arrived again (next expected {Next})";
        if (seq >= Next + _waiting.Length)
            return $"chunk {seq} arrived while {Next} is expected: beyond the window of {_waiting.Length}";
        ref var slot = ref _waiting[seq % _waiting.Length];
        if (slot is not null)
            return $"chunk {seq} arrived twice";
        slot = payload;
        Held++;
        return null;
    }

    /// <summary>The next chunk in stream order, when it has arrived.</summary>
    public bool TryTake(out long seq, [NotNullWhen(true)] out DeviceChunk? payload)
    {
        seq = Next;
        ref var slot = ref _waiting[Next % _waiting.Length];
        if (slot is null)
        {
            payload = null;
            return false;
        }
        payload = slot;
        slot = null;
        Held--;
        Next++;
        return true;
    }
}
