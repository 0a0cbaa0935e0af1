namespace Orchestrator.Actors.Precopy;

/// <summary>The per-device data plane: a source streamer sends chunks, the destination loader returns credit.</summary>
public static class PrecopyProtocol
{
    /// <param name="ChunkBytes">Payload per chunk; must stay well under the remote frame size.</param>
    /// <param name="Window">Chunks a stream may have unacknowledged at most: the bound on memory per stream.</param>
    /// <param name="MinWindow">Chunks a stream may always have unacknowledged, however long they queue.</param>
    /// <param name="QueueDelayTarget">The queueing delay a stream's window aims at (<see cref="SendWindow"/>); 250 ms when null.</param>
    /// <param name="StallTimeout">A stream with chunks out and no credit back for this long fails the migration.</param>
    /// <param name="DestinationLoadDelay">Extra time a destination spends per chunk: models a slow destination host.</param>
    /// <remarks>64 KiB chunks stay under .NET's large-object threshold, so buffers recycle from a warm gen0 instead of fresh pages:
    /// measured 1.6x the throughput of 512 KiB chunks (docs/benchmarks.md).</remarks>
    public sealed record Settings(
        int ChunkBytes = 64 * 1024,
        int Window = 32,
        TimeSpan? StallTimeout = null,
        TimeSpan DestinationLoadDelay = default,
        int MinWindow = 2,
        TimeSpan? QueueDelayTarget = null)
    {
        public TimeSpan Stall => StallTimeout ?? TimeSpan.FromSeconds(30);

        public TimeSpan QueueDelay => QueueDelayTarget ?? TimeSpan.FromMilliseconds(250);

        /// <summary>Every stream at its whole window from the first chunk, however long chunks queue (as before SendWindow).</summary>
        public Settings WithFixedWindow() => this with { MinWindow = Window };
    }

    /// <summary>A slice of one device's stream, numbered from 0 without gaps. Received, the payload is a slice of the frame (no copy).</summary>
    public sealed record Chunk(MigrationId Migration, DeviceName Device, long Seq, ReadOnlyMemory<byte> Payload) : IMigrationWire
    {
        /// <summary>The source's chunk whose pooled buffer the payload is: released once serialized, as nothing reads it after.</summary>
        internal DeviceChunk? Pooled { get; init; }
    }

    /// <summary>The destination has applied chunk <paramref name="Seq"/>: one credit back to the source.</summary>
    public sealed record ChunkLoaded(MigrationId Migration, DeviceName Device, long Seq) : IMigrationWire;
}

/// <summary>Messages between a migration and its streamers and loaders, within one node.</summary>
internal static class PrecopyLocal
{
    /// <summary>Try to send more: credit, bandwidth or new dirty data may be there now.</summary>
    public sealed record Pump { public static readonly Pump Instance = new(); }

    /// <summary>The VM is stopped: drain everything left at full speed.</summary>
    public sealed record EnterStopCopy { public static readonly EnterStopCopy Instance = new(); }

    /// <summary>A source stream sent its last chunk and every chunk was acknowledged.</summary>
    public sealed record StreamDrained(DeviceName Device);

    /// <summary>A stream cannot go on; the reason names the device.</summary>
    public sealed record StreamFailed(DeviceName Device, string Reason);

    /// <summary>A destination device loaded its end-of-state marker.</summary>
    public sealed record DeviceLoaded(DeviceName Device);
}
