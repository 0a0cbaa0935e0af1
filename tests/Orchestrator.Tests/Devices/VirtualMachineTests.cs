using Microsoft.Extensions.Time.Testing;
using Orchestrator.Devices.Contract;
using Orchestrator.Devices.Machine;
using Orchestrator.Devices.Vfio;
using Xunit;
using static Orchestrator.Tests.Devices.DeviceStreams;

namespace Orchestrator.Tests.Devices;

public class VirtualMachineTests
{
    private static VmSpec SmallVm(long dirtyRate = 16L << 20) => new(
        "vm1",
        [
            DefaultDevices.Ram(4 << 20),
            DefaultDevices.Vfio(1 << 20, TimeSpan.FromMilliseconds(50)),
            DefaultDevices.Vgpu(1 << 20),
        ],
        new WorkloadSpec(dirtyRate, DirtyPattern.HotSet, Seed: 17));

    [Fact]
    public void Create_builds_filled_devices_and_incoming_builds_empty_twins()
    {
        using var source = VirtualMachine.Create(SmallVm());
        using var incoming = VirtualMachine.CreateIncoming(SmallVm());
        using var again = VirtualMachine.Create(SmallVm());

        Assert.Equal(VmRunState.Paused, source.State);
        Assert.Equal(VmRunState.Paused, incoming.State);
        Assert.Equal(3, source.Devices.Count);
        Assert.Same(source.Devices[0], source.Ram);
        Assert.Equal(new[] { "ram", "0000:17:00.2", "vgpu0" }, source.Devices.Select(d => d.Name.Value));
        Assert.Equal(DeviceKind.Vgpu, source.Devices[2].Kind);

        var digests = source.Digests();
        Assert.Equal(digests, again.Digests()); // deterministic from the seed
        Assert.All(incoming.Digests(), pair => Assert.NotEqual(digests[pair.Key], pair.Value));
    }

    [Fact]
    public void Pause_is_synchronous_no_write_happens_after_it_returns()
    {
        using var vm = VirtualMachine.Create(SmallVm());
        vm.Start();
        Assert.Equal(VmRunState.Running, vm.State);
        SpinWait.SpinUntil(() => vm.GuestBytesWritten > 0 && vm.DeviceBytesWritten > 0, TimeSpan.FromSeconds(5));
        Assert.True(vm.GuestBytesWritten > 0);

        vm.Pause();
        var written = vm.GuestBytesWritten;
        var devices = vm.DeviceBytesWritten;
        var digests = vm.Digests();
        Thread.Sleep(100);
        Assert.Equal(written, vm.GuestBytesWritten);
        Assert.Equal(devices, vm.DeviceBytesWritten);
        Assert.Equal(digests, vm.Digests());

        vm.Resume();
        SpinWait.SpinUntil(() => vm.GuestBytesWritten > written, TimeSpan.FromSeconds(5));
        Assert.True(vm.GuestBytesWritten > written);
        vm.Stop();
    }

    [Fact]
    public void Guest_rate_follows_the_workload_and_the_throttle_cuts_it()
    {
        var time = new FakeTimeProvider();
        using var vm = VirtualMachine.Create(SmallVm(dirtyRate: 64L << 20), time);

        // Half a second at 64 MiB/s is 32 MiB; at a 90 % throttle, 6.4 MiB/s, it is 3,355,443 bytes: 819 whole pages.
        Assert.Equal(32L << 20, WrittenIn(vm, time, throttle: 0));
        Assert.Equal(819 * 4096, WrittenIn(vm, time, throttle: 90));
        Assert.Throws<ArgumentOutOfRangeException>(() => vm.ThrottlePercent = 100);
        Assert.Throws<ArgumentOutOfRangeException>(() => vm.ThrottlePercent = -1);

        static long WrittenIn(VirtualMachine vm, FakeTimeProvider time, int throttle)
        {
            vm.ThrottlePercent = throttle;
            var before = vm.GuestBytesWritten;
            vm.Start();
            time.Advance(TimeSpan.FromMilliseconds(500));
            Assert.True(SpinWait.SpinUntil(() => vm.GuestBytesWritten > before, TimeSpan.FromSeconds(10)), "the workload never wrote");
            vm.Pause();
            return vm.GuestBytesWritten - before;
        }
    }

    [Fact]
    public void Device_rates_are_not_throttled()
    {
        var time = new FakeTimeProvider();
        using var vm = VirtualMachine.Create(SmallVm(), time);
        vm.ThrottlePercent = 99;
        vm.Start();
        time.Advance(TimeSpan.FromMilliseconds(500));
        // vfio 1 MiB/s + vgpu 2 MiB/s over 500 ms is 1.5 MiB; the throttle must not touch it.
        Assert.True(SpinWait.SpinUntil(() => vm.DeviceBytesWritten == 3L << 19, TimeSpan.FromSeconds(10)), $"devices wrote {vm.DeviceBytesWritten}");
        vm.Pause();
        Assert.Equal(3L << 19, vm.DeviceBytesWritten);
    }

    [Fact]
    public void Invalid_transitions_throw_and_stop_is_final_and_idempotent()
    {
        var vm = VirtualMachine.Create(SmallVm());
        Assert.Contains("already paused", Assert.Throws<InvalidOperationException>(vm.Pause).Message);
        vm.Start();
        Assert.Contains("already running", Assert.Throws<InvalidOperationException>(vm.Start).Message);
        vm.Stop();
        Assert.Equal(VmRunState.Stopped, vm.State);
        vm.Stop();
        vm.Dispose();
        Assert.Throws<InvalidOperationException>(vm.Start);
        Assert.Throws<InvalidOperationException>(vm.Resume);
        Assert.Throws<InvalidOperationException>(vm.Pause);
        var written = vm.GuestBytesWritten;
        Thread.Sleep(50);
        Assert.Equal(written, vm.GuestBytesWritten);
    }

    [Fact]
    public void Vfio_devices_follow_the_vm_run_state()
    {
        using var vm = VirtualMachine.Create(SmallVm());
        var vfio = (VfioDevice)vm.Devices[1];
        Assert.Equal(VfioDeviceState.Stop, vfio.State);
        vm.Start();
        Assert.Equal(VfioDeviceState.Running, vfio.State);
        vm.Pause();
        Assert.Equal(VfioDeviceState.Stop, vfio.State);
    }

    [Fact]
    public void A_vm_without_vfio_runs_pauses_and_stops_the_same()
    {
        using var vm = VirtualMachine.Create(new VmSpec("plain", [DefaultDevices.Ram(4 << 20)], new WorkloadSpec(16L << 20, Seed: 3)));
        Assert.Same(vm.Devices[0], vm.Ram);
        vm.Start();
        SpinWait.SpinUntil(() => vm.GuestBytesWritten > 0, TimeSpan.FromSeconds(5));
        vm.Pause();
        var written = vm.GuestBytesWritten;
        Thread.Sleep(50);

        Assert.True(written > 0);
        Assert.Equal(written, vm.GuestBytesWritten);
        Assert.Equal(0, vm.DeviceBytesWritten);
        vm.Resume();
        vm.Stop();
        Assert.Equal(VmRunState.Stopped, vm.State);
    }

    [Fact]
    public void A_vm_without_ram_has_no_guest_writes_and_nothing_to_corrupt()
    {
        using var vm = VirtualMachine.Create(new VmSpec("nic-only", [DefaultDevices.Vfio(1 << 20, TimeSpan.Zero)], new WorkloadSpec(16L << 20)));
        Assert.Null(vm.Ram);
        vm.Start();
        SpinWait.SpinUntil(() => vm.DeviceBytesWritten > 0, TimeSpan.FromSeconds(5));
        vm.Pause();

        Assert.True(vm.DeviceBytesWritten > 0);
        Assert.Equal(0, vm.GuestBytesWritten);
    }

    [Fact]
    public void Fault_injection_changes_the_ram_digest_and_nothing_else()
    {
        using var vm = VirtualMachine.Create(SmallVm());
        var before = vm.Digests();
        vm.Ram!.FlipBitForFaultInjection();
        var after = vm.Digests();

        Assert.NotEqual(before[new DeviceName("ram")], after[new DeviceName("ram")]);
        Assert.Equal(before.Where(d => d.Key.Value != "ram"), after.Where(d => d.Key.Value != "ram"));
    }

    [Fact]
    public async Task Whole_vm_migrates_while_the_guest_runs_and_the_twin_matches()
    {
        using var source = VirtualMachine.Create(SmallVm());
        using var destination = VirtualMachine.CreateIncoming(SmallVm());
        var approvals = 0;
        source.Start();
        foreach (var device in source.Devices)
        {
            device.SaveSetup(new SaveContext(SwitchoverAck: true));
        }

        foreach (var device in destination.Devices)
        {
            device.LoadSetup(Context(true, () => Interlocked.Increment(ref approvals)));
        }

        var needed = destination.Devices.Count(d => d.SwitchoverAckNeeded);
        Assert.Equal(2, needed);
        for (var round = 0; round < 5; round++)
        {
            for (var i = 0; i < source.Devices.Count; i++)
            {
                for (var n = 0; n < 8 && source.Devices[i].SaveIterate(64 * 1024) is { } chunk; n++)
                {
                    await destination.Devices[i].LoadState(chunk, CancellationToken.None);
                }

                source.Devices[i].PendingExact();
            }

            await Task.Delay(20);
        }

        SpinWait.SpinUntil(() => Volatile.Read(ref approvals) == needed, TimeSpan.FromSeconds(5));
        source.Pause();
        for (var i = 0; i < source.Devices.Count; i++)
        {
            await Load(destination.Devices[i], Iterate(source.Devices[i], 64 * 1024).Concat(Complete(source.Devices[i], 64 * 1024)));
            Assert.True(destination.Devices[i].LoadComplete);
        }

        Assert.Equal(needed, approvals);
        Assert.Equal(source.Digests(), destination.Digests());
        Assert.True(source.GuestBytesWritten > 0);
        source.Stop();
        destination.Start();
        Assert.Equal(VmRunState.Running, destination.State);
    }
}
