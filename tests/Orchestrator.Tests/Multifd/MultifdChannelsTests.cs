using Akka.TestKit.Xunit2;
using Microsoft.Extensions.Time.Testing;
using Orchestrator.Actors.Multifd;
using Orchestrator.Actors.Precopy;
using Xunit;

namespace Orchestrator.Tests.Multifd;

public sealed class MultifdChannelsTests : TestKit
{
    private readonly FakeTimeProvider _time = new();

    [Fact]
    public void Chunks_spread_over_every_channel_the_least_loaded_first()
    {
        var channels = new MultifdChannels(count: 3, window: 4, _time);
        var lanes = new List<int>();
        for (var i = 0; i < 6; i++)
        {
            Assert.True(channels.TryReserve(TestActor, out var lane));
            lanes.Add(lane);
        }
        Assert.Equal([0, 1, 2, 0, 1, 2], lanes.Select(channels.ChannelOf));
        Assert.Equal(6, lanes.Distinct().Count());

        channels.Release(lanes[1]);
        Assert.True(channels.TryReserve(TestActor, out var next));
        Assert.Equal(1, channels.ChannelOf(next)); // the one with fewest in flight
    }

    [Fact]
    public void No_channel_carries_more_than_its_window_and_a_stream_that_found_all_full_is_pumped_when_one_frees()
    {
        var channels = new MultifdChannels(count: 2, window: 3, _time);
        var lanes = new List<int>();
        for (var i = 0; i < 6; i++)
        {
            Assert.True(channels.TryReserve(TestActor, out var lane));
            lanes.Add(lane);
        }

        var stream = CreateTestProbe();
        Assert.False(channels.TryReserve(stream.Ref, out _));
        Assert.Equal(3, channels.MaxInFlight(0));
        Assert.Equal(3, channels.MaxInFlight(1));
        stream.ExpectNoMsg(TimeSpan.FromMilliseconds(100));

        channels.Release(lanes[0]);
        stream.ExpectMsg<PrecopyLocal.Pump>();
        Assert.True(channels.TryReserve(stream.Ref, out var again));
        Assert.Equal(lanes[0], again);
    }

    [Fact]
    public void A_channel_with_chunks_out_and_no_credit_for_the_stall_time_is_named()
    {
        var channels = new MultifdChannels(count: 2, window: 4, _time);
        Assert.True(channels.TryReserve(TestActor, out var first)); // channel 0
        Assert.True(channels.TryReserve(TestActor, out _)); // channel 1
        _time.Advance(TimeSpan.FromSeconds(2));
        channels.Release(first);

        Assert.Null(channels.Stalled(TimeSpan.FromSeconds(3)));
        _time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal((1, 1), channels.Stalled(TimeSpan.FromSeconds(3)));
    }

    [Fact]
    public void When_every_channel_waits_the_one_blamed_carries_the_oldest_frame()
    {
        // Channel 1's frame is lost; channel 0's later frames wait behind it in the destination's in-order loading.
        var channels = new MultifdChannels(count: 2, window: 4, _time);
        Assert.True(channels.TryReserve(TestActor, out var zero));
        Assert.True(channels.TryReserve(TestActor, out _)); // channel 1, stuck
        _time.Advance(TimeSpan.FromMilliseconds(10));
        channels.Release(zero);
        Assert.True(channels.TryReserve(TestActor, out var later));
        Assert.Equal(0, channels.ChannelOf(later));
        _time.Advance(TimeSpan.FromSeconds(5));

        Assert.Equal(1, channels.Stalled(TimeSpan.FromSeconds(3))?.Channel);
    }
}
