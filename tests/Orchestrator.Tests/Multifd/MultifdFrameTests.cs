using System.Buffers;
using Orchestrator.Actors.Multifd;
using Xunit;

namespace Orchestrator.Tests.Multifd;

public sealed class MultifdFrameTests
{
    private static byte[] Frame(ushort device, long seq, byte[] payload)
    {
        var bytes = new byte[MultifdFrame.HeaderSize + payload.Length];
        MultifdFrame.WriteHeader(bytes, device, seq, payload.Length);
        payload.CopyTo(bytes, MultifdFrame.HeaderSize);
        return bytes;
    }

    [Fact]
    public void Frames_read_back_whole_and_only_once_all_their_bytes_are_there()
    {
        var bytes = Frame(2, 41, [1, 2, 3]).Concat(Frame(0, 7, [9])).ToArray();

        var partial = new ReadOnlySequence<byte>(bytes, 0, MultifdFrame.HeaderSize + 2);
        Assert.False(MultifdFrame.TryRead(ref partial, devices: 3, out _, out _));

        var buffer = new ReadOnlySequence<byte>(bytes);
        Assert.True(MultifdFrame.TryRead(ref buffer, devices: 3, out var first, out var payload));
        Assert.Equal((2, 41L, 3), (first.Device, first.Seq, first.Length));
        Assert.Equal(new byte[] { 1, 2, 3 }, payload!.Payload.ToArray());
        Assert.True(MultifdFrame.TryRead(ref buffer, devices: 3, out var second, out payload));
        Assert.Equal((0, 7L), (second.Device, second.Seq));
        Assert.Equal(new byte[] { 9 }, payload!.Payload.ToArray());
        Assert.Equal(0, buffer.Length);
    }

    [Fact]
    public void A_frame_is_read_into_a_pooled_buffer_that_goes_back_once_the_chunk_is_loaded()
    {
        var payload = new byte[200_000];
        new Random(8).NextBytes(payload);
        var bytes = Frame(1, 5, payload);
        var warm = new ReadOnlySequence<byte>(bytes);
        Assert.True(MultifdFrame.TryRead(ref warm, devices: 3, out _, out var first));
        first!.Release();

        var buffer = new ReadOnlySequence<byte>(bytes);
        var before = GC.GetAllocatedBytesForCurrentThread();
        Assert.True(MultifdFrame.TryRead(ref buffer, devices: 3, out _, out var second));
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(payload, second!.Payload.ToArray());
        Assert.True(allocated < 1024, $"{allocated} bytes allocated to read a frame of 200,000: the released buffer was not reused");
    }

    [Theory]
    [InlineData(0, "frame of version 99, expected 1")]
    [InlineData(1, "frame for device 5, the VM has 3")]
    [InlineData(2, "frame with sequence number -1")]
    [InlineData(3, "frame with a payload of 0 bytes")]
    [InlineData(4, "frame with a payload of 16777217 bytes")]
    public void A_header_that_does_not_parse_says_why(int which, string expected)
    {
        var header = new byte[MultifdFrame.HeaderSize];
        MultifdFrame.WriteHeader(header, which == 1 ? (ushort)5 : (ushort)0, which == 2 ? -1 : 0, which switch { 3 => 0, 4 => MultifdFrame.MaxPayload + 1, _ => 10 });
        if (which == 0)
            header[0] = 99;
        var buffer = new ReadOnlySequence<byte>(header);

        var e = Assert.Throws<MultifdFrameException>(() => MultifdFrame.TryRead(ref buffer, devices: 3, out _, out _));
        Assert.StartsWith(expected, e.Message);
    }

    [Fact]
    public void A_handshake_is_accepted_only_with_the_migrations_token_and_a_channel_in_range()
    {
        var token = MultifdToken.New();
        var handshake = new byte[MultifdFrame.HandshakeSize];

        MultifdFrame.WriteHandshake(handshake, 3, token);
        Assert.Null(MultifdFrame.ReadHandshake(handshake, token, channels: 4, out var channel));
        Assert.Equal(3, channel);
        Assert.Equal("channel 3 of 2", MultifdFrame.ReadHandshake(handshake, token, channels: 2, out _));
        Assert.Equal("wrong token", MultifdFrame.ReadHandshake(handshake, MultifdToken.New(), channels: 4, out _));
        handshake[0] ^= 0xFF;
        Assert.Equal("not a multifd handshake of this version", MultifdFrame.ReadHandshake(handshake, token, channels: 4, out _));
    }

    [Fact]
    public void A_token_never_shows_in_a_log() => Assert.DoesNotContain(MultifdToken.New().Hex, MultifdToken.New().ToString() + new MultifdProtocol.Endpoint("h", 1, MultifdToken.New()));
}
