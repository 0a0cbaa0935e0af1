using Orchestrator.Actors.Migration;
using Xunit;

namespace Orchestrator.Tests.Migration;

/// <summary>The bandwidth the switchover decision trusts: measured over whole windows, never above max-bandwidth.</summary>
public sealed class TransferRateTests
{
    private static readonly MigrationParameters EightMiBps = new() { MaxBandwidth = 8L << 20 };

    [Fact]
    public void Two_ticks_delivered_back_to_back_do_not_make_a_window_so_a_chunk_in_a_millisecond_is_not_read_as_gigabits()
    {
        var rate = new TransferRate(TimeSpan.FromMilliseconds(80));
        rate.Start(0, 0, 0);
        Assert.True(rate.Sample(100, 838_860, 838_860)); // 8 MiB/s for 100 ms

        var early = rate.Sample(101, 838_860 + 1_048_576, 838_860 + 1_048_576); // a 1 MiB chunk lands 1 ms later
        var next = rate.Sample(200, 2 * 838_860 + 1_048_576, 2 * 838_860 + 1_048_576);

        Assert.False(early);
        Assert.True(next);
        Assert.Equal((838_860 + 1_048_576) / 100.0, rate.BytesPerMs); // the chunk counted over the whole window
        Assert.Equal((long)((838_860 + 1_048_576) / 4096.0 * 10), rate.PagesPerSecond);
    }

    [Fact]
    public void The_switchover_never_assumes_more_than_max_bandwidth_but_takes_avail_switchover_bandwidth_when_set()
    {
        var rate = new TransferRate(TimeSpan.FromMilliseconds(80));
        rate.Start(0, 0, 0);
        rate.Sample(100, 64L << 20, 0); // a burst: 640 MiB/s measured

        Assert.Equal(640 * 1024 * 1024 / 1000.0, rate.BytesPerMs, 3);
        Assert.Equal((8L << 20) / 1000.0, rate.ForSwitchover(EightMiBps), 3);
        Assert.Equal(rate.BytesPerMs, rate.ForSwitchover(new MigrationParameters { MaxBandwidth = 0 }), 3);
        Assert.Equal(50_000, rate.ForSwitchover(EightMiBps with { AvailSwitchoverBandwidth = 50_000_000 }), 3);
    }

    [Fact]
    public void Before_the_first_whole_window_nothing_is_assumed()
    {
        var rate = new TransferRate(TimeSpan.FromMilliseconds(80));
        rate.Start(1000, 5000, 5000);

        Assert.False(rate.Sample(1050, 9_000_000, 9_000_000));
        Assert.Equal(0, rate.ForSwitchover(EightMiBps));
        Assert.Equal(0, rate.Mbps);
    }
}
