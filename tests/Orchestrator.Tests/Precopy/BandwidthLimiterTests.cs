using Microsoft.Extensions.Time.Testing;
using Orchestrator.Actors.Precopy;
using Xunit;

namespace Orchestrator.Tests.Precopy;

/// <summary>max-bandwidth in QEMU's 100 ms slices, on a fake clock: no test waits for real time to pass.</summary>
public sealed class BandwidthLimiterTests
{
    private readonly FakeTimeProvider _time = new();

    [Fact]
    public void A_slice_spends_a_tenth_of_the_rate_then_says_how_long_until_the_next()
    {
        var limiter = new BandwidthLimiter(10 << 20, _time); // 10 MiB/s: 1 MiB per 100 ms slice

        Assert.True(limiter.MaySend(out _));
        limiter.Consume(1 << 20);
        _time.Advance(TimeSpan.FromMilliseconds(30));

        Assert.False(limiter.MaySend(out var retryIn));
        Assert.Equal(TimeSpan.FromMilliseconds(70), retryIn);
        _time.Advance(retryIn);
        Assert.True(limiter.MaySend(out _));
    }

    [Fact]
    public void An_overshoot_is_paid_back_in_the_next_slice_and_unused_budget_does_not_pile_up()
    {
        var limiter = new BandwidthLimiter(10 << 20, _time);

        limiter.Consume(3 << 19); // 1.5 MiB: half a slice over
        _time.Advance(TimeSpan.FromMilliseconds(100));
        limiter.Consume(1 << 19); // the next slice already carries the 0.5 MiB overshoot
        Assert.False(limiter.MaySend(out _));

        _time.Advance(TimeSpan.FromSeconds(5)); // idle slices give no burst later
        limiter.Consume(1 << 20);
        Assert.False(limiter.MaySend(out _));
    }

    [Fact]
    public void Zero_is_unlimited()
    {
        var limiter = new BandwidthLimiter(0, _time);
        limiter.Consume(long.MaxValue / 2);
        Assert.True(limiter.MaySend(out var retryIn));
        Assert.Equal(TimeSpan.Zero, retryIn);
    }
}
