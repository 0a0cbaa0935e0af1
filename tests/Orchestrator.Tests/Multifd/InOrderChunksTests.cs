using Orchestrator.Devices.Contract;
using Orchestrator.Actors.Multifd;
using Xunit;

namespace Orchestrator.Tests.Multifd;

public sealed class InOrderChunksTests
{
    [Fact]
    public void Chunks_from_several_channels_come_out_in_stream_order()
    {
        var chunks = new InOrderChunks(window: 4);
        Assert.Null(chunks.Add(2, Chunk(2)));
        Assert.Null(chunks.Add(1, Chunk(1)));
        Assert.False(chunks.TryTake(out _, out _)); // 0 is still on its way
        Assert.Equal(2, chunks.Held);

        Assert.Null(chunks.Add(0, Chunk(0)));
        var order = new List<long>();
        while (chunks.TryTake(out var seq, out var payload))
        {
            Assert.Equal((byte)seq, payload.Payload.Span[0]);
            order.Add(seq);
        }
        Assert.Equal([0L, 1, 2], order);
        Assert.Equal(0, chunks.Held);
        Assert.Equal(3, chunks.Next);
    }

    private static DeviceChunk Chunk(byte b) => new(new[] { b });

    [Fact]
    public void Nothing_beyond_the_window_is_held_so_a_peer_cannot_grow_the_destinations_memory()
    {
        var chunks = new InOrderChunks(window: 4);
        Assert.Equal("chunk 4 arrived while 0 is expected: beyond the window of 4", chunks.Add(4, Chunk(4)));
        Assert.Null(chunks.Add(3, Chunk(3)));
        Assert.Equal("chunk 3 arrived twice", chunks.Add(3, Chunk(3)));
    }

    [Fact]
    public void A_chunk_already_loaded_is_refused()
    {
        var chunks = new InOrderChunks(window: 2);
        Assert.Null(chunks.Add(0, Chunk(0)));
        Assert.True(chunks.TryTake(out _, out _));
        Assert.Equal("chunk 0 arrived again (next expected 1)", chunks.Add(0, Chunk(0)));
    }
}
