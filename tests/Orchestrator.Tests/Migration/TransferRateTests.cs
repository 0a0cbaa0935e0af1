using Orchestrator.Actors.Migration;
using Xunit;

namespace Orchestrator.Tests.Migration;

/// <summary>The bandwidth the switchover decision trusts: measured over whole windows, never above max-bandwidth.</summary>
public sealed class TransferRateTests
{
    private static readonly MigrationParameters EightMiBps = new() { MaxBandwidth = 8L << 20 };
    private const long Backlog = 1L << 30; // more than any window here sends: the link sets the pace

    [Fact]
    public void A_window_that_ran_out_of_data_measures_the_guest_not_the_link_and_never_lowers_what_the_switchover_trusts()
    {
        var unlimited = new MigrationParameters { MaxBandwidth = 0 };
        var rate = new TransferRate(TimeSpan.FromMilliseconds(80));
        rate.Start(0, 0, 0, Backlog);
        rate.Sample(100, 10_000_000, 10_000_000, pending: 50_000); // the initial copy at 100 MB/s; 50 KB left

        rate.Sample(200, 10_100_000, 10_100_000, pending: 40_000); // sent 100 KB of a 50 KB backlog: it ran dry

        Assert.Equal(1_000, rate.BytesPerMs); // what query-migrate shows: the rate of this window
        Assert.Equal(100_000, rate.ForSwitchover(unlimited)); // what the switchover trusts: what the link showed

        rate.Sample(300, 30_100_000, 30_100_000, pending: Backlog); // a burst of 20 MB that ran dry: faster, so it raises it
        Assert.Equal(200_000, rate.ForSwitchover(unlimited));
        rate.Sample(400, 30_600_000, 30_600_000, pending: Backlog); // a backlog sent at 5 MB/s: the link slowed
        Assert.Equal(5_000, rate.ForSwitchover(unlimited));
    }

    [Fact]
    public void Two_ticks_delivered_back_to_back_do_not_make_a_window_so_a_chunk_in_a_millisecond_is_not_read_as_gigabits()
    {
        var rate = new TransferRate(TimeSpan.FromMilliseconds(80));
        rate.Start(0, 0, 0, Backlog);
        Assert.True(rate.Sample(100, 838_860, 838_860, Backlog)); // 8 MiB/s for 100 ms

        var early = rate.Sample(101, 838_860 + 1_048_576, 838_860 + 1_048_576, Backlog); // a 1 MiB chunk lands 1 ms later
        var next = rate.Sample(200, 2 * 838_860 + 1_048_576, 2 * 838_860 + 1_048_576, Backlog);

        Assert.False(early);
        Assert.True(next);
        Assert.Equal((838_860 + 1_048_576) / 100.0, rate.BytesPerMs); // the chunk counted over the whole window
        Assert.Equal((long)((838_860 + 1_048_576) / 4096.0 * 10), rate.PagesPerSecond);
    }

    [Fact]
    public void The_switchover_never_assumes_more_than_max_bandwidth_but_takes_avail_switchover_bandwidth_when_set()
    {
        var rate = new TransferRate(TimeSpan.FromMilliseconds(80));
        rate.Start(0, 0, 0, Backlog);
        rate.Sample(100, 64L << 20, 0, Backlog); // a burst: 640 MiB/s measured

        Assert.Equal(640 * 1024 * 1024 / 1000.0, rate.BytesPerMs, 3);
        Assert.Equal((8L << 20) / 1000.0, rate.ForSwitchover(EightMiBps), 3);
        Assert.Equal(rate.BytesPerMs, rate.ForSwitchover(new MigrationParameters { MaxBandwidth = 0 }), 3);
        Assert.Equal(50_000, rate.ForSwitchover(EightMiBps with { AvailSwitchoverBandwidth = 50_000_000 }), 3);
    }

    [Fact]
    public void Before_the_first_whole_window_nothing_is_assumed()
    {
        var rate = new TransferRate(TimeSpan.FromMilliseconds(80));
        rate.Start(1000, 5000, 5000, Backlog);

        Assert.False(rate.Sample(1050, 9_000_000, 9_000_000, Backlog));
        Assert.Equal(0, rate.ForSwitchover(EightMiBps));
        Assert.Equal(0, rate.Mbps);
    }
}
