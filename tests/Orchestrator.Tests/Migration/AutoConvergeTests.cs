using Orchestrator.Actors.Migration;
using Xunit;
using Xunit.Abstractions;

namespace Orchestrator.Tests.Migration;

public sealed class AutoConvergeTests(ITestOutputHelper output) : TwoNodeTestKit(output)
{
    [Fact]
    public async Task Auto_converge_throttles_a_guest_that_dirties_faster_than_the_link_until_it_converges()
    {
        // 16 MiB/s of writes over 16 MiB of RAM against a 4 MiB/s link: without a throttle the dirty
        // set never fits in 300 ms of bandwidth.
        await Create(SmallVm(ram: 16L << 20, vfio: 0, vgpu: 0, dirtyRate: 16L << 20));
        await SetCapabilities("return-path,switchover-ack,auto-converge");
        await SetParameters(
            ("max-bandwidth", (4L << 20).ToString()),
            ("cpu-throttle-initial", "90"),
            ("cpu-throttle-increment", "9"));
        await Migrate();
        var throttles = new List<int>();

        var info = await UntilEnded(TimeSpan.FromSeconds(60), sample => throttles.Add(sample.CpuThrottlePercentage));

        Assert.Equal(MigrationStatus.Completed, info.Status);
        Assert.True(info.Verified);
        // QEMU's steps: cpu-throttle-initial first, then up by cpu-throttle-increment, capped at max-cpu-throttle.
        var seen = throttles.Where(t => t > 0).Distinct().ToArray();
        Assert.Equal(90, seen[0]);
        Assert.All(seen, t => Assert.Contains(t, new[] { 90, 99 }));
    }
}
