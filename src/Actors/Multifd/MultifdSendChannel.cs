using System.Buffers;
using System.IO.Pipelines;
using System.Threading.Channels;

namespace Orchestrator.Actors.Multifd;

/// <summary>
/// One channel, source side: frames queued by the streams are written through a <see cref="PipeWriter"/> over the channel's
/// <see cref="Stream"/> (a socket's, or a wrapper's such as an SslStream): header and payload are copied into pooled pipe memory (the chunk's own pooled buffer then goes back),
/// many frames per flush. The queue holds only chunks the credit windows let out, so it is bounded by them.
/// </summary>
internal sealed class MultifdSendChannel(int index)
{
    private readonly record struct Outgoing(ushort Device, long Seq, DeviceChunk Chunk);

    private readonly Channel<Outgoing> _queue = Channel.CreateUnbounded<Outgoing>(new UnboundedChannelOptions { SingleReader = true });

    public int Index => index;

    /// <summary>Queues a frame; it goes out once the channel is connected.</summary>
    public void Enqueue(ushort device, long seq, DeviceChunk chunk) => _queue.Writer.TryWrite(new Outgoing(device, seq, chunk));

    /// <summary>
    /// Sends the handshake, then frames until cancelled; throws when the stream fails or the destination closes it (it never writes to
    /// a source, so a read that ends means the channel is gone).
    /// </summary>
    public async Task Run(Stream stream, MultifdToken token, CancellationToken cancel)
    {
        var writer = PipeWriter.Create(stream, new StreamPipeWriterOptions(MemoryPool<byte>.Shared, minimumBufferSize: 64 * 1024, leaveOpen: true));
        MultifdFrame.WriteHandshake(writer.GetSpan(MultifdFrame.HandshakeSize), index, token);
        writer.Advance(MultifdFrame.HandshakeSize);
        await writer.FlushAsync(cancel);
        var closed = WatchForClose(stream, cancel);
        var sending = Send(writer, cancel);
        await await Task.WhenAny(closed, sending);
    }

    private async Task Send(PipeWriter writer, CancellationToken cancel)
    {
        var reader = _queue.Reader;
        while (await reader.WaitToReadAsync(cancel))
        {
            while (reader.TryRead(out var frame))
            {
                MultifdFrame.WriteHeader(writer.GetSpan(MultifdFrame.HeaderSize), frame.Device, frame.Seq, frame.Chunk.Length);
                writer.Advance(MultifdFrame.HeaderSize);
                writer.Write(frame.Chunk.Payload.Span);
                frame.Chunk.Release();
            }
            if ((await writer.FlushAsync(cancel)).IsCompleted)
                throw new IOException("the channel's stream stopped taking data");
        }
    }

    private static async Task WatchForClose(Stream stream, CancellationToken cancel)
    {
        var one = new byte[1];
        var read = await stream.ReadAsync(one, cancel);
        throw new IOException(read == 0 ? ClosedByPeer : "the destination wrote to a source channel");
    }

    public const string ClosedByPeer = "closed by the destination";
}
