using Orchestrator.Actors.Fencing;
using Orchestrator.Actors.Migration;
using Xunit;

namespace Orchestrator.Tests.Fencing;

public sealed class LedgerPulseTests
{
    [Fact]
    public void A_probe_goes_out_once_per_interval_and_an_answer_stays_fresh_for_two_of_them()
    {
        var pulse = LedgerPulse.For(OwnershipTimeouts.Default); // retry 2 s: a probe a second

        Assert.True(pulse.Probe(0));
        Assert.False(pulse.Probe(999));
        Assert.True(pulse.Probe(1000));
        Assert.False(pulse.Fresh(1000)); // asked, not answered yet

        pulse.Answered(1010);

        Assert.True(pulse.Fresh(3010));
        Assert.False(pulse.Fresh(3011));
        Assert.Equal(1990, pulse.Silent(3000));
    }

    [Fact]
    public void Silence_counts_from_the_start_until_the_first_answer()
    {
        var pulse = LedgerPulse.For(new OwnershipTimeouts(TimeSpan.FromMilliseconds(500), TimeSpan.FromMilliseconds(200), 5));

        Assert.True(pulse.Probe(0));
        Assert.True(pulse.Probe(100)); // half the 200 ms retry
        Assert.Equal(250, pulse.Silent(250));
        Assert.False(pulse.Fresh(250));
    }
}
