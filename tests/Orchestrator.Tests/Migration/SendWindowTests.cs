using Orchestrator.Actors.Precopy;
using Xunit;

namespace Orchestrator.Tests.Migration;

/// <summary>A stream's window follows the queueing delay its chunks meet, between its floor and the configured window.</summary>
public sealed class SendWindowTests
{
    private static readonly long Ms = TimeSpan.TicksPerMillisecond;

    /// <summary>Sends chunks from <paramref name="seq"/> up to the window, each acknowledged <paramref name="rttMs"/> later.</summary>
    private static long RoundTrip(SendWindow window, long seq, ref long now, long rttMs)
    {
        var size = window.Size;
        for (var i = 0; i < size; i++)
            window.Sent(seq + i, now);
        now += rttMs * Ms;
        for (var i = 0; i < size; i++)
            window.Acked(seq + i, now);
        return seq + size;
    }

    [Fact]
    public void A_new_stream_starts_at_its_floor_and_doubles_its_window_each_round_trip_up_to_the_configured_one()
    {
        var window = new SendWindow(32, 2, TimeSpan.FromMilliseconds(250));
        long now = 0, seq = 0;
        var sizes = new List<int> { window.Size };

        for (var i = 0; i < 5; i++)
        {
            seq = RoundTrip(window, seq, ref now, 10);
            sizes.Add(window.Size);
        }

        Assert.Equal([2, 4, 8, 16, 32, 32], sizes);
    }

    [Fact]
    public void Round_trips_near_the_fastest_keep_the_whole_configured_window()
    {
        var window = new SendWindow(32, 2, TimeSpan.FromMilliseconds(250));
        long now = 0, seq = 0;

        for (var i = 0; i < 50; i++)
            seq = RoundTrip(window, seq, ref now, 5 + i % 3 * 60); // 5 to 125 ms: queued, but under the target

        Assert.Equal(32, window.Size);
    }

    [Fact]
    public void Chunks_queued_behind_a_slow_link_shrink_the_window_to_its_floor_once_per_round_trip_and_it_grows_back_when_the_queue_drains()
    {
        var window = new SendWindow(32, 2, TimeSpan.FromMilliseconds(250));
        long now = 0, seq = 0;
        for (var i = 0; i < 5; i++)
            seq = RoundTrip(window, seq, ref now, 10); // the fastest round trip: 10 ms; the window opens to 32
        Assert.Equal(32, window.Size);

        seq = RoundTrip(window, seq, ref now, 2000); // a full window took 2 s: queued
        Assert.Equal(24, window.Size); // one decrease for the whole round trip, not one per ack
        var sizes = new List<int>();
        for (var i = 0; i < 12; i++)
        {
            seq = RoundTrip(window, seq, ref now, 2000);
            sizes.Add(window.Size);
        }
        Assert.Equal(2, window.Size);
        Assert.Equal(sizes.OrderByDescending(s => s), sizes);

        for (var i = 0; i < 200 && window.Size < 32; i++)
            seq = RoundTrip(window, seq, ref now, 12);
        Assert.Equal(32, window.Size);
    }

    [Fact]
    public void The_floor_is_kept_however_long_the_queue_and_never_above_the_configured_window()
    {
        var tight = new SendWindow(4, 8, TimeSpan.FromMilliseconds(250));
        var window = new SendWindow(8, 3, TimeSpan.FromMilliseconds(100));
        long now = 0, seq = 0;
        seq = RoundTrip(window, seq, ref now, 1);

        for (var i = 0; i < 20; i++)
            seq = RoundTrip(window, seq, ref now, 30_000);

        Assert.Equal(4, tight.Size);
        Assert.Equal(3, window.Size);
    }

    [Fact]
    public void Fixed_window_settings_give_the_whole_window_from_the_first_chunk_however_long_chunks_queue()
    {
        var settings = new PrecopyProtocol.Settings(Window: 16).WithFixedWindow();
        var window = new SendWindow(settings.Window, settings.MinWindow, settings.QueueDelay);
        long now = 0, seq = 0;
        Assert.Equal(16, window.Size);

        seq = RoundTrip(window, seq, ref now, 1);
        for (var i = 0; i < 10; i++)
            seq = RoundTrip(window, seq, ref now, 30_000);

        Assert.Equal(16, window.Size);
    }
}
