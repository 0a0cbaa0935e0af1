using System.Buffers;
using System.IO.Pipelines;

namespace Orchestrator.Actors.Multifd;

/// <summary>
/// One channel, destination side: a <see cref="PipeReader"/> over the channel's stream (pooled segments, many frames per read) cut into
/// frames, each handed to its device's loader. Nothing but frames may follow the handshake.
/// </summary>
internal static class MultifdReceiveChannel
{
    public static PipeReader Reader(Stream stream) =>
        PipeReader.Create(stream, new StreamPipeReaderOptions(MemoryPool<byte>.Shared, bufferSize: 128 * 1024, minimumReadSize: 32 * 1024));

    /// <summary>The handshake's bytes, or null when the stream ended first.</summary>
    public static async Task<byte[]?> ReadHandshake(PipeReader reader, CancellationToken cancel)
    {
        var result = await reader.ReadAtLeastAsync(MultifdFrame.HandshakeSize, cancel);
        if (result.Buffer.Length < MultifdFrame.HandshakeSize)
        {
            reader.AdvanceTo(result.Buffer.End);
            return null;
        }
        var handshake = result.Buffer.Slice(0, MultifdFrame.HandshakeSize).ToArray();
        reader.AdvanceTo(result.Buffer.GetPosition(MultifdFrame.HandshakeSize));
        return handshake;
    }

    /// <summary>Delivers frames until the stream ends (it throws then: the source closes a channel only once it needs it no more) or breaks.</summary>
    public static async Task Run(PipeReader reader, IReadOnlyList<IActorRef> loaders, CancellationToken cancel)
    {
        while (true)
        {
            var result = await reader.ReadAsync(cancel);
            var buffer = result.Buffer;
            while (MultifdFrame.TryRead(ref buffer, loaders.Count, out var header, out var payload))
                loaders[header.Device].Tell(new MultifdLocal.FrameArrived(header.Seq, payload!));
            reader.AdvanceTo(buffer.Start, buffer.End);
            if (result.IsCompleted)
                throw new IOException(buffer.Length > 0 ? $"closed by the source inside a frame ({buffer.Length} bytes of it)" : "closed by the source");
        }
    }
}
