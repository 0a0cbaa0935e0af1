using System.Diagnostics;
using Orchestrator.Devices.Contract;
using Orchestrator.Devices.Machine;
using Orchestrator.Devices.Vfio;
using Orchestrator.Devices.Vgpu;
using Xunit;
using static Orchestrator.Tests.Devices.DeviceStreams;

namespace Orchestrator.Tests.Devices;

public class VfioDeviceTests
{
    private const int Chunk = 256 * 1024;
    private const long Size = 2 << 20;

    private static DeviceSpec Spec(int allocationMs = 100) =>
        DefaultDevices.Vfio(Size, TimeSpan.FromMilliseconds(allocationMs));

    [Fact]
    public async Task Switchover_ack_round_trip_with_device_dirtying_gives_equal_digests()
    {
        var spec = Spec();
        var source = VfioDevice.Filled(spec, 11);
        var destination = new VfioDevice(spec);
        var approvals = 0;
        source.SaveSetup(new SaveContext(SwitchoverAck: true));
        destination.LoadSetup(Context(true, () => Interlocked.Increment(ref approvals)));
        Assert.Equal(VfioDeviceState.PreCopy, source.State);
        Assert.Equal(VfioDeviceState.Resuming, destination.State);
        Assert.True(destination.SwitchoverAckNeeded);

        var random = new Random(2);
        for (var round = 0; round < 6; round++)
        {
            await Load(destination, Iterate(source, Chunk));
            source.Dirty(64 * 1024, random);
            Assert.True(source.PendingExact() >= VfioDevice.ConfigSize);
        }

        await Load(destination, Iterate(source, Chunk));
        source.Dirty(32 * 1024, random); // still running
        var final = Complete(source, Chunk);
        Assert.Equal(VfioDeviceState.StopCopy, source.State);
        await Load(destination, final);

        Assert.True(destination.LoadComplete);
        Assert.Equal(VfioDeviceState.Stop, destination.State);
        Assert.Equal(1, Volatile.Read(ref approvals));
        Assert.Equal(source.Digest(), destination.Digest());

        source.SaveCleanup();
        Assert.Equal(VfioDeviceState.Running, source.State);
    }

    [Theory]
    [InlineData(true, 1)]
    [InlineData(false, 0)]
    public void Init_data_sent_goes_once_after_the_initial_bytes_only_with_switchover_ack(bool ack, int expected)
    {
        var source = VfioDevice.Filled(Spec(), 1);
        source.SaveSetup(new SaveContext(ack));
        var chunks = Iterate(source, Chunk);
        source.Dirty(64 * 1024, new Random(1));
        chunks.AddRange(Iterate(source, Chunk));
        chunks.AddRange(Complete(source, Chunk));

        var records = VfioRecords(chunks);
        Assert.Equal(expected, records.Count(r => r.Tag == VfioRecord.InitDataSent));
        Assert.Single(records, r => r.Tag == VfioRecord.Config);
        Assert.Single(records, r => r.Tag == VfioRecord.EndOfState);
        Assert.Equal(VfioRecord.EndOfState, records[^1].Tag);
        if (ack)
        {
            var marker = records.FindIndex(r => r.Tag == VfioRecord.InitDataSent);
            Assert.Equal(Size, records.Take(marker).Sum(r => (long)r.Length)); // exactly the initial bytes before it
        }

        Assert.All(chunks, c => Assert.True(c.Length <= Chunk));
    }

    [Fact]
    public void Pending_counts_initial_dirty_and_the_stop_copy_config()
    {
        var source = VfioDevice.Filled(Spec(), 3);
        source.SaveSetup(new SaveContext(true));
        Assert.Equal(Size + VfioDevice.ConfigSize, source.PendingEstimate());

        var first = source.SaveIterate(1 << 20)!;
        Assert.Equal(VfioRecord.HeaderSize + (1 << 20) - 4096, first.Length); // whole pages within 1 MiB
        source.Dirty(8 * 4096, new Random(4)); // some land behind the cursor, some ahead
        Assert.Equal(source.InitialBytes + source.DirtyBytes + VfioDevice.ConfigSize, source.PendingExact());

        Iterate(source, 1 << 20);
        Assert.Equal(0, source.InitialBytes);
        Assert.Equal(0, source.DirtyBytes);
        Assert.Equal(VfioDevice.ConfigSize, source.PendingExact());

        source.Dirty(3 * 4096, new Random(5));
        Assert.InRange(source.DirtyBytes, 2 * 4096, 3 * 4096);
        Assert.Equal(VfioDevice.ConfigSize + source.DirtyBytes, source.PendingEstimate());
    }

    [Fact]
    public async Task Destination_without_switchover_ack_refuses_init_data_sent_with_qemus_text()
    {
        var source = VfioDevice.Filled(Spec(), 1);
        var destination = new VfioDevice(Spec());
        source.SaveSetup(new SaveContext(SwitchoverAck: true));
        destination.LoadSetup(Context(switchoverAck: false));

        var error = await Assert.ThrowsAsync<DeviceLoadException>(() => Load(destination, Iterate(source, Chunk)));
        Assert.Equal("0000:17:00.2: Received INIT_DATA_SENT but switchover ack is not used", error.Message);
        Assert.False(destination.AllocationStarted);
    }

    [Fact]
    public async Task Approval_comes_once_about_the_allocation_time_after_init_data_sent()
    {
        var spec = Spec(allocationMs: 150);
        var source = VfioDevice.Filled(spec, 1);
        var destination = new VfioDevice(spec);
        var approvals = 0;
        var approved = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        source.SaveSetup(new SaveContext(true));
        destination.LoadSetup(Context(true, () =>
        {
            Interlocked.Increment(ref approvals);
            approved.TrySetResult();
        }));

        var chunks = Iterate(source, Chunk);
        Assert.Equal(VfioRecord.InitDataSent, VfioRecords(chunks)[^1].Tag);
        await Load(destination, chunks.SkipLast(1));
        Assert.False(destination.AllocationStarted);

        var clock = Stopwatch.StartNew();
        await Load(destination, chunks.TakeLast(1));
        Assert.True(destination.AllocationStarted);
        await approved.Task.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.InRange(clock.ElapsedMilliseconds, 140, 2000);
        Assert.True(destination.AllocationCompleted);

        // With the allocation done during precopy, the final state loads at once.
        var final = Complete(source, Chunk);
        clock.Restart();
        await Load(destination, final);
        Assert.True(clock.ElapsedMilliseconds < 100, $"final load took {clock.ElapsedMilliseconds} ms");
        await Task.Delay(50);
        Assert.Equal(1, Volatile.Read(ref approvals));
        Assert.True(destination.LoadComplete);
    }

    [Fact]
    public async Task The_allocation_approves_even_when_its_time_runs_out_between_two_readings_of_the_clock()
    {
        // Each reading of this clock is 3 ms after the one before, as a thread sees it that is descheduled
        // between reading the time left and waiting for it. A 10 ms allocation then reads 9 ms elapsed,
        // then 12: a wait computed from the second reading is negative, which Task.Delay refuses (or, at
        // -1 ms, waits forever), and the device would never approve.
        var spec = Spec(allocationMs: 10);
        var source = VfioDevice.Filled(spec, 1);
        var destination = new VfioDevice(spec, time: new ClockThatMovesBetweenReadings(TimeSpan.FromMilliseconds(3)));
        var approved = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        source.SaveSetup(new SaveContext(true));
        destination.LoadSetup(Context(true, () => approved.TrySetResult()));

        await Load(destination, Iterate(source, Chunk));

        await approved.Task.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.True(destination.AllocationCompleted);
    }

    /// <summary>Real timers; a timestamp that advances by <paramref name="step"/> at every reading.</summary>
    private sealed class ClockThatMovesBetweenReadings(TimeSpan step) : TimeProvider
    {
        private long _now;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => Interlocked.Add(ref _now, step.Ticks);
    }

    [Fact]
    public async Task Without_switchover_ack_the_final_load_waits_for_the_allocation()
    {
        var spec = Spec(allocationMs: 200);
        var source = VfioDevice.Filled(spec, 1);
        var destination = new VfioDevice(spec);
        var approvals = 0;
        source.SaveSetup(new SaveContext(false));
        destination.LoadSetup(Context(false, () => Interlocked.Increment(ref approvals)));

        await Load(destination, Iterate(source, Chunk));
        var final = Complete(source, Chunk);
        await Load(destination, final.SkipLast(1));
        Assert.False(destination.AllocationStarted);
        Assert.False(destination.LoadComplete);

        var clock = Stopwatch.StartNew();
        await Load(destination, final.TakeLast(1));
        Assert.InRange(clock.ElapsedMilliseconds, 190, 3000);
        Assert.True(destination.LoadComplete);
        Assert.True(destination.AllocationCompleted);
        Assert.Equal(VfioDeviceState.Stop, destination.State);
        Assert.Equal(0, approvals); // nobody waits for an ack that was never asked for
        Assert.Equal(source.Digest(), destination.Digest());
    }

    [Fact]
    public async Task Final_load_honours_cancellation()
    {
        var spec = Spec(allocationMs: 2000);
        var source = VfioDevice.Filled(spec, 1);
        var destination = new VfioDevice(spec);
        source.SaveSetup(new SaveContext(false));
        destination.LoadSetup(Context(false));
        var chunks = Iterate(source, Chunk).Concat(Complete(source, Chunk)).ToList();
        await Load(destination, chunks.SkipLast(1));

        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(50));
        var clock = Stopwatch.StartNew();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(
            async () => await destination.LoadState(chunks[^1], cancel.Token));
        Assert.True(clock.ElapsedMilliseconds < 1500, $"took {clock.ElapsedMilliseconds} ms");
        Assert.False(destination.LoadComplete);
        destination.LoadCleanup();
        Assert.False(destination.AllocationStarted);
    }

    [Fact]
    public async Task Load_cleanup_cancels_a_running_allocation_and_resets_the_device()
    {
        var spec = Spec(allocationMs: 100);
        var source = VfioDevice.Filled(spec, 1);
        var destination = new VfioDevice(spec);
        var approvals = 0;
        source.SaveSetup(new SaveContext(true));
        destination.LoadSetup(Context(true, () => Interlocked.Increment(ref approvals)));
        await Load(destination, Iterate(source, Chunk));
        Assert.True(destination.AllocationStarted);

        destination.LoadCleanup();
        await Task.Delay(250);
        Assert.Equal(0, approvals);
        Assert.False(destination.AllocationCompleted);
        Assert.Equal(new VfioDevice(spec).Digest(), destination.Digest());
    }

    [Fact]
    public async Task Malformed_chunk_is_refused()
    {
        var destination = new VfioDevice(Spec());
        destination.LoadSetup(Context(true));
        var unknown = new byte[13];
        unknown[0] = 0x7E;
        var error = await Assert.ThrowsAsync<DeviceLoadException>(
            async () => await destination.LoadState(new DeviceChunk(unknown), CancellationToken.None));
        Assert.Equal("0000:17:00.2: malformed chunk at offset 0: unknown record tag 0x7e", error.Message);

        var overlong = new byte[13];
        overlong[0] = VfioRecord.Data;
        overlong[9] = 0xFF; // length 255, nothing follows
        error = await Assert.ThrowsAsync<DeviceLoadException>(
            async () => await destination.LoadState(new DeviceChunk(overlong), CancellationToken.None));
        Assert.StartsWith("0000:17:00.2: malformed chunk at offset 0", error.Message);
    }

    [Fact]
    public void A_device_registered_for_run_state_changes_hears_stop_and_resume()
    {
        var vm = new VmChangeStateHandlers();
        var device = VfioDevice.Filled(Spec(), 1, vm);
        var bystander = new VfioDevice(Spec()); // made outside a VM: registered nowhere
        Assert.Equal(VfioDeviceState.Running, device.State);

        vm.Notify(running: false);
        Assert.Equal(VfioDeviceState.Stop, device.State);
        Assert.Equal(VfioDeviceState.Running, bystander.State);
        vm.Notify(running: true);
        Assert.Equal(VfioDeviceState.Running, device.State);
    }

    [Fact]
    public void Run_state_changes_leave_a_migration_state_alone_and_a_stopped_device_ignores_writes()
    {
        var vm = new VmChangeStateHandlers();
        var device = VfioDevice.Filled(Spec(), 1, vm);
        device.SaveSetup(new SaveContext(SwitchoverAck: true));
        vm.Notify(running: false);
        Assert.Equal(VfioDeviceState.PreCopy, device.State);
        device.SaveCleanup();

        vm.Notify(running: false);
        var digest = device.Digest();
        device.Dirty(64 * 1024, new Random(1));
        Assert.Equal(digest, device.Digest());
    }

    [Fact]
    public async Task Vgpu_is_a_vfio_device_of_kind_vgpu()
    {
        var spec = DefaultDevices.Vgpu(1 << 20);
        var source = VgpuDevice.CreateSource(spec, 5);
        var destination = VgpuDevice.CreateDestination(spec);
        Assert.Equal(DeviceKind.Vgpu, source.Kind);
        Assert.Equal("vgpu0", source.Name.Value);
        Assert.Throws<ArgumentException>(() => VgpuDevice.CreateSource(Spec(), 1));

        source.SaveSetup(new SaveContext(true));
        destination.LoadSetup(Context(true));
        await Load(destination, Iterate(source, Chunk).Concat(Complete(source, Chunk)));
        Assert.True(destination.LoadComplete);
        Assert.Equal(source.Digest(), destination.Digest());
    }
}
