using Orchestrator.Actors.Host;
using Orchestrator.Actors.Migration;
using Xunit;
using Xunit.Abstractions;

namespace Orchestrator.Tests.Migration;

/// <summary>
/// Every parameter migrate-set-parameters accepts takes effect on a running migration at its next tick
/// (docs/api.md); max-bandwidth has its own test in <see cref="ControlTests"/>.
/// </summary>
public sealed class LiveParameterTests(ITestOutputHelper output) : TwoNodeTestKit(output)
{
    [Fact]
    public async Task A_lowered_switchover_ack_timeout_fails_the_wait_at_the_new_deadline()
    {
        await Create(SmallVm(vfioAllocMs: 25_000));
        await SetParameters(("switchover-ack-timeout", "60000"));
        var waiting = WhenPhase(MigrationPhase.WaitingForAcks);
        await Migrate();
        await waiting;
        await SetParameters(("switchover-ack-timeout", "1000"));

        var info = await UntilEnded(TimeSpan.FromSeconds(20));

        Assert.Equal(MigrationStatus.Failed, info.Status);
        Assert.Contains("switchover-ack-timeout (1000 ms) expired; still waiting for an ack from: 0000:17:00.2", info.ErrorDesc);
        await AssertRolledBack(info);
    }

    [Fact]
    public async Task A_switchover_ack_timeout_set_to_zero_while_waiting_waits_for_the_ack_without_limit()
    {
        await Create(SmallVm(vfioAllocMs: 4_000));
        await SetParameters(("switchover-ack-timeout", "1500"));
        var waiting = WhenPhase(MigrationPhase.WaitingForAcks);
        await Migrate();
        await waiting;
        await SetParameters(("switchover-ack-timeout", "0"));

        var info = await UntilEnded(TimeSpan.FromSeconds(30));

        // The VF acks after its 4 s allocation, well past the 1.5 s the migration started with.
        Assert.True(info.Status == MigrationStatus.Completed, $"{info.Status.Name()}: {info.ErrorDesc}");
        Assert.True(info.Verified);
    }

    [Fact]
    public async Task A_raised_downtime_limit_lets_a_migration_that_could_not_converge_switch_over()
    {
        // downtime-limit 0 converges only with nothing pending (QEMU too), which a guest writing 4 MiB/s over a 2 MiB/s
        // link never leaves, however the workload's thread is scheduled. 20 s at 2 MiB/s is more than the 8 MiB there are.
        await Create(SmallVm(vfio: 0, vgpu: 0));
        await SetParameters(("downtime-limit", "0"), ("max-bandwidth", (2L << 20).ToString()));
        await Migrate();
        await UntilStatus(MigrationStatus.Active);
        Assert.Equal(MigrationStatus.Active, (await UntilSyncs(5)).Status);
        await SetParameters(("downtime-limit", "20000"));

        var info = await UntilEnded(TimeSpan.FromSeconds(20));

        Assert.Equal(MigrationStatus.Completed, info.Status);
        Assert.True(info.Downtime <= 2000, $"downtime {info.Downtime} ms");
    }

    [Fact]
    public async Task An_avail_switchover_bandwidth_set_while_running_replaces_the_measured_one()
    {
        // 2 MiB/s measured and a 10 ms limit hold 20 KiB; the guest dirties 4 MiB/s, so the link never empties the bitmap: no switchover.
        await Create(SmallVm(vfio: 0, vgpu: 0, dirtyRate: 4L << 20));
        await SetParameters(("max-bandwidth", (2L << 20).ToString()), ("downtime-limit", "10"));
        await Migrate();
        await UntilStatus(MigrationStatus.Active);
        Assert.Equal(MigrationStatus.Active, (await UntilSyncs(5)).Status);
        await SetParameters(("avail-switchover-bandwidth", (1L << 30).ToString()));

        var info = await UntilEnded(TimeSpan.FromSeconds(20));

        Assert.Equal(MigrationStatus.Completed, info.Status);
    }

    [Fact]
    public async Task A_lowered_throttle_trigger_threshold_starts_auto_converge()
    {
        // The guest writes 1 MiB/s against 4 MiB/s sent: a quarter, under a 100% threshold, over a 10% one.
        await Create(SmallVm(ram: 64L << 20, vfio: 0, vgpu: 0, dirtyRate: 1L << 20));
        await SetCapabilities("return-path,switchover-ack,auto-converge");
        await SetParameters(("max-bandwidth", (4L << 20).ToString()), ("throttle-trigger-threshold", "100"));
        await Migrate();
        await UntilStatus(MigrationStatus.Active);
        // Three sync periods, one more than auto-converge needs to trigger.
        Assert.Equal(0, (await UntilSyncs(3)).CpuThrottlePercentage);
        await SetParameters(("throttle-trigger-threshold", "10"));

        var throttled = await UntilThrottle(t => t > 0, TimeSpan.FromSeconds(10));

        Assert.Equal(20, throttled); // cpu-throttle-initial
        await Ask(Source.Host, new HostProtocol.MigrateCancel(Vm));
    }

    [Fact]
    public async Task Throttle_steps_follow_the_initial_increment_and_cap_set_while_running()
    {
        // 16 MiB/s of writes against 4 MiB/s sent: auto-converge steps the throttle up every two periods.
        await Create(SmallVm(ram: 32L << 20, vfio: 0, vgpu: 0, dirtyRate: 16L << 20));
        await SetCapabilities("return-path,switchover-ack,auto-converge");
        await SetParameters(("max-bandwidth", (4L << 20).ToString()), ("downtime-limit", "0"));
        await Migrate();
        await UntilStatus(MigrationStatus.Active);
        await SetParameters(("cpu-throttle-initial", "35"), ("cpu-throttle-increment", "25"));

        Assert.Equal(35, await UntilThrottle(t => t > 0, TimeSpan.FromSeconds(10)));
        Assert.Equal(60, await UntilThrottle(t => t > 35, TimeSpan.FromSeconds(10)));
        await SetParameters(("max-cpu-throttle", "40"));
        Assert.Equal(40, await UntilThrottle(t => t < 60, TimeSpan.FromSeconds(2)));
        Assert.Equal(40, (await UntilSyncs(3)).CpuThrottlePercentage); // a step is due every two periods: capped too
        await Ask(Source.Host, new HostProtocol.MigrateCancel(Vm));
    }

    /// <summary>Subscribes now, so a phase reached before the await is not missed.</summary>
    private Task WhenPhase(MigrationPhase phase)
    {
        var reached = CreateTestProbe();
        Sys.EventStream.Subscribe(reached.Ref, typeof(MigrationPhaseReached));
        return reached.FishForMessageAsync<MigrationPhaseReached>(r => r.Vm == Vm && r.Phase == phase, TimeSpan.FromSeconds(30)).AsTask();
    }

    private async Task<int> UntilThrottle(Func<int, bool> wanted, TimeSpan within) =>
        (await Until(info => wanted(info.CpuThrottlePercentage), within, "the throttle wanted")).CpuThrottlePercentage;
}
