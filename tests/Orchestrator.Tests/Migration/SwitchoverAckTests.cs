using Orchestrator.Actors.Migration;
using Xunit;
using Xunit.Abstractions;

namespace Orchestrator.Tests.Migration;

public sealed class SwitchoverAckTests(ITestOutputHelper output) : TwoNodeTestKit(output)
{
    [Fact]
    public async Task Migration_completes_with_every_device_digest_equal_while_the_guest_dirties_memory()
    {
        await Create(SmallVm(dirtyRate: 16L << 20));
        await Migrate();

        var info = await UntilEnded();

        Assert.Equal(MigrationStatus.Completed, info.Status);
        Assert.True(info.Verified);
        Assert.All(info.Devices, d =>
        {
            Assert.NotNull(d.SourceDigest);
            Assert.Equal(d.SourceDigest, d.DestinationDigest);
        });
        // The guest kept writing during precopy: pages were dirtied and found again by later syncs.
        Assert.True(info.Ram.DirtySyncCount >= 2, $"dirty-sync-count {info.Ram.DirtySyncCount}");
        Assert.True(info.Ram.Transferred > info.Ram.Total / 2, "RAM moved at least once");
        Assert.Equal(VmStates.Stopped, info.SourceVm);
        Assert.Equal(VmStates.Running, info.DestinationVm);
        Assert.Empty(await Vms(Source));
        Assert.Equal(VmStates.Running, Assert.Single(await Vms(Destination)).State);
    }

    [Fact]
    public async Task Source_keeps_running_until_the_last_device_acks_and_the_count_goes_down_to_zero()
    {
        await Create(SmallVm(vfioAllocMs: 1500));
        await Migrate();
        var samples = new List<MigrationInfo>();

        var info = await UntilEnded(observe: samples.Add);

        Assert.Equal(MigrationStatus.Completed, info.Status);
        // While any ack was owed, the source VM ran.
        Assert.All(samples.Where(s => s.PendingAcks > 0), s => Assert.Equal(VmStates.Running, s.SourceVm));
        // The count went 2..0 and never rose nor dropped below zero.
        var counts = samples.Select(s => s.PendingAcks).Where(c => c >= 0).ToArray();
        Assert.Contains(2, counts);
        Assert.Equal(0, counts[^1]);
        Assert.All(counts.Zip(counts.Skip(1), (a, b) => (First: a, Second: b)), pair => Assert.True(pair.Second <= pair.First, $"count rose {pair.First} -> {pair.Second}"));
        // The VM stopped only after the last ack: stop time = total - downtime.
        var stoppedAt = info.TotalTime - info.Downtime!.Value;
        var vfio = info.Devices.Single(d => d.Kind == "vfio");
        Assert.Equal("acked", vfio.SwitchoverAck);
        Assert.True(vfio.AckedAt >= 1500, $"the VF acked at {vfio.AckedAt} ms, before its 1500 ms allocation could finish");
        Assert.All(info.Devices.Where(d => d.AckedAt is not null), d => Assert.True(d.AckedAt <= stoppedAt, $"{d.Name} acked at {d.AckedAt} ms, after the stop at {stoppedAt} ms"));
        // The allocation happened before the stop, so it is not in the downtime.
        Assert.True(info.Downtime < 1500, $"downtime {info.Downtime} ms holds the allocation");
    }

    [Fact]
    public async Task After_a_long_wait_for_acks_on_an_idle_link_the_switchover_still_trusts_the_bandwidth_the_link_showed()
    {
        // Once the initial copy is out, the streams only carry what the guest dirties (1 MiB/s) while
        // the VF allocates: a rate measured then says nothing of the link. Trusted, it would make the
        // 20 ms budget hold 20 KB while every tick dirties about 100 KB, and the switchover never came.
        await Create(SmallVm(vfioAllocMs: 2500, dirtyRate: 1L << 20));
        await SetParameters(("downtime-limit", "20"));
        await Migrate();
        var waiting = new List<MigrationInfo>();

        var info = await UntilEnded(TimeSpan.FromSeconds(20), observe: s =>
        {
            if (s.PendingAcks > 0 && s.Mbps > 0)
                waiting.Add(s);
        });

        Assert.Equal(MigrationStatus.Completed, info.Status);
        Assert.True(info.Devices.Single(d => d.Kind == "vfio").AckedAt >= 2500);
        // The premise: while acks were owed, some window measured the idle link. The last window need not,
        // since the stop-copy burst may end the migration inside it.
        Assert.True(waiting.Any(s => s.Mbps < 100),
            $"no window measured under 100 mbps while acks were owed ({string.Join(", ", waiting.Select(s => s.Mbps))}): the link was never idle, so this test shows nothing");
    }

    [Fact]
    public async Task A_VM_without_precopy_devices_needs_no_ack_and_does_not_wait()
    {
        await Create(SmallVm(vfio: 0, vgpu: 0));
        await Migrate();

        var info = await UntilEnded();

        Assert.Equal(MigrationStatus.Completed, info.Status);
        Assert.Equal(0, info.PendingAcks);
        Assert.Equal("not-needed", Assert.Single(info.Devices).SwitchoverAck);
    }

    [Fact]
    public async Task With_the_capability_off_the_source_does_not_wait_and_the_allocation_lands_in_the_downtime()
    {
        await Create(SmallVm(vfioAllocMs: 800));
        await SetCapabilities("return-path");
        await SetDestinationCapabilities("return-path");
        await Migrate();

        var info = await UntilEnded();

        Assert.Equal(MigrationStatus.Completed, info.Status);
        Assert.All(info.Devices, d => Assert.Equal("not-needed", d.SwitchoverAck));
        Assert.True(info.Downtime >= 800, $"downtime {info.Downtime} ms cannot be shorter than the 800 ms allocation it contains");
    }

    [Fact]
    public async Task Seed_scenario_both_sides_on_completes()
    {
        await Create(SmallVm());
        await Migrate();

        var info = await UntilEnded();

        Assert.Equal(MigrationStatus.Completed, info.Status);
        Assert.All(info.Devices.Where(d => d.Kind != "ram"), d => Assert.Equal("acked", d.SwitchoverAck));
    }

    [Fact]
    public async Task Seed_scenario_source_on_destination_off_fails_with_the_destination_reason_and_the_source_keeps_running()
    {
        // The seed's VM: one mlx5 VF, the only device that sends INIT_DATA_SENT.
        await Create(SmallVm(vgpu: 0));
        await SetDestinationCapabilities("return-path");
        await Migrate();

        var info = await UntilEnded();

        Assert.Equal(MigrationStatus.Failed, info.Status);
        Assert.Contains("0000:17:00.2: Received INIT_DATA_SENT but switchover ack is not used", info.ErrorDesc);
        await AssertRolledBack(info);
    }

    [Fact]
    public async Task Source_on_destination_off_with_no_device_to_reveal_it_fails_at_setup_with_the_source_running()
    {
        // No device sends initial data, so nothing would ever end the wait for an ack (QEMU 10 spins in active forever).
        await Create(SmallVm(vfio: 0, vgpu: 0));
        await SetDestinationCapabilities("return-path");
        await Migrate();

        var info = await UntilEnded(TimeSpan.FromSeconds(10));

        Assert.Equal(MigrationStatus.Failed, info.Status);
        Assert.Equal(0, info.Transferred); // refused at setup: not a byte streamed
        Assert.Contains("switchover-ack is on at the source but off at the destination", info.ErrorDesc);
        await AssertRolledBack(info);
    }

    [Fact]
    public async Task A_timed_out_wait_for_acks_says_that_the_destination_asked_had_not_approved()
    {
        await Create(SmallVm(vfioAllocMs: 120_000));
        await SetParameters(("switchover-ack-timeout", "2500"));
        await Migrate();

        var info = await UntilEnded(TimeSpan.FromSeconds(30));

        Assert.Equal(MigrationStatus.Failed, info.Status);
        Assert.Contains("still waiting for an ack from: 0000:17:00.2 (asked, the destination says it has not approved yet)", info.ErrorDesc);
        await AssertRolledBack(info);
    }

    [Fact]
    public async Task Switchover_ack_timeout_names_the_devices_that_still_owe_an_ack()
    {
        await Create(SmallVm(vfioAllocMs: 120_000));
        await SetParameters(("switchover-ack-timeout", "500"));
        await Migrate();

        var info = await UntilEnded(TimeSpan.FromSeconds(30));

        Assert.Equal(MigrationStatus.Failed, info.Status);
        Assert.Contains("switchover-ack-timeout (500 ms) expired", info.ErrorDesc);
        Assert.Contains("0000:17:00.2", info.ErrorDesc);
        Assert.DoesNotContain("vgpu0", info.ErrorDesc);
        await AssertRolledBack(info);
    }
}
