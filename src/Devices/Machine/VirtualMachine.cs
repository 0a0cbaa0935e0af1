using Orchestrator.Devices.Ram;

namespace Orchestrator.Devices.Machine;

/// <summary>
/// One VM instance on one host: its devices and, while it runs, a workload thread rewriting RAM (at the workload's rate minus the
/// auto-converge throttle) and every other device's state (at its own rate, unthrottled: the guest's vCPUs do not drive it).
/// </summary>
public sealed class VirtualMachine : IDisposable
{
    /// <summary>How often the workload writes.</summary>
    public static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(10);

    // A starved workload thread catches up at most this much, instead of writing a burst of seconds.
    private static readonly TimeSpan MaxCatchUp = TimeSpan.FromSeconds(1);

    // Monitor (not Lock) because the workload sleeps on it with Monitor.Wait.
    private readonly object gate = new();
    private readonly Random random;
    private readonly VmChangeStateHandlers changeState;
    private readonly Share[] shares;
    private readonly TimeProvider time;
    private VmRunState state = VmRunState.Paused;
    private int generation; // bumped on every transition, so a workload thread of an old run never writes
    private Thread? workload;
    private volatile int throttlePercent;
    private long guestBytesWritten;
    private long deviceBytesWritten;

    private VirtualMachine(VmSpec spec, IReadOnlyList<IMigratableDevice> devices, VmChangeStateHandlers changeState, TimeProvider time)
    {
        var duplicate = devices.GroupBy(d => d.Name).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
            throw new ArgumentException($"VM '{spec.Name}' has two devices named '{duplicate.Key}'", nameof(spec));

        Spec = spec;
        Devices = devices;
        Ram = devices.OfType<IGuestRam>().FirstOrDefault();
        random = new Random(spec.Workload.Seed);
        // A device without a share of the workload (none today) is never written.
        shares = [.. devices.Select(d => d is IGuestWorkload target ? new Share(target, d.Spec.DirtyRate, ReferenceEquals(d, Ram)) : null).OfType<Share>()];
        this.changeState = changeState;
        this.time = time;
        changeState.Notify(running: false); // created paused
    }

    /// <summary>A source VM: devices filled from the workload seed, paused until <see cref="Start"/>.</summary>
    /// <param name="time">What the workload and the devices measure time with; tests pass a fake one.</param>
    public static VirtualMachine Create(VmSpec spec, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var seed = spec.Workload.Seed;
        var changeState = new VmChangeStateHandlers();
        var devices = spec.Devices
            .Select((device, i) => DeviceFactory.CreateSource(device, spec.Workload.Pattern, unchecked((seed * 1_000_003) + i), changeState, time))
            .ToArray();
        return new VirtualMachine(spec, devices, changeState, time ?? TimeProvider.System);
    }

    /// <summary>The destination twin: the same devices, empty, paused until the migration has loaded them.</summary>
    public static VirtualMachine CreateIncoming(VmSpec spec, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var changeState = new VmChangeStateHandlers();
        var devices = spec.Devices.Select(device => DeviceFactory.CreateDestination(device, spec.Workload.Pattern, changeState, time)).ToArray();
        return new VirtualMachine(spec, devices, changeState, time ?? TimeProvider.System);
    }

    public VmSpec Spec { get; }
    public string Name => Spec.Name;
    public IReadOnlyList<IMigratableDevice> Devices { get; }

    /// <summary>The first RAM device, the one the guest's vCPUs write; null for a VM without RAM.</summary>
    public IGuestRam? Ram { get; }

    public VmRunState State
    {
        get
        {
            lock (gate)
                return state;
        }
    }

    /// <summary>Auto-converge's CPU throttle, 0..99: the guest's RAM write rate is cut by this percentage.</summary>
    public int ThrottlePercent
    {
        get => throttlePercent;
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(value, 99);
            throttlePercent = value;
        }
    }

    /// <summary>Bytes the guest workload has written into RAM (after throttling).</summary>
    public long GuestBytesWritten => Interlocked.Read(ref guestBytesWritten);

    /// <summary>Bytes the other devices have rewritten in their own state.</summary>
    public long DeviceBytesWritten => Interlocked.Read(ref deviceBytesWritten);

    /// <summary>Paused to Running; starts the guest workload.</summary>
    public void Start()
    {
        lock (gate)
        {
            if (state != VmRunState.Paused)
            {
                throw new InvalidOperationException(state == VmRunState.Running
                    ? $"VM '{Name}' is already running"
                    : $"VM '{Name}' is stopped for good and cannot run again");
            }

            state = VmRunState.Running;
            generation++;
            changeState.Notify(running: true);

            workload = new Thread(RunWorkload) { IsBackground = true, Name = $"guest {Name}" };
            // The run's time starts here, not when the thread first runs: a tick owes what passed since Start.
            workload.Start((generation, time.GetTimestamp()));
        }
    }

    /// <summary>Same as <see cref="Start"/>: a paused VM carries on.</summary>
    public void Resume() => Start();

    /// <summary>Running to Paused, synchronously: once it returns no guest write is in progress, nor will be until the VM runs again.</summary>
    public void Pause()
    {
        Thread? thread;
        lock (gate)
        {
            if (state != VmRunState.Running)
            {
                throw new InvalidOperationException(state == VmRunState.Paused
                    ? $"VM '{Name}' is already paused"
                    : $"VM '{Name}' is stopped for good and cannot pause");
            }

            // Holding the gate means the workload is between ticks: its writes happen only under it.
            thread = Halt(VmRunState.Paused);
        }

        Join(thread);
    }

    /// <summary>Stopped for good (migrated away or discarded); the workload ends. Always allowed, idempotent.</summary>
    public void Stop()
    {
        Thread? thread;
        lock (gate)
        {
            if (state == VmRunState.Stopped)
                return;

            thread = Halt(VmRunState.Stopped);
        }

        Join(thread);
    }

    public void Dispose() => Stop();

    public IReadOnlyDictionary<DeviceName, DeviceDigest> Digests() =>
        Devices.ToDictionary(device => device.Name, device => device.Digest());

    private Thread? Halt(VmRunState next)
    {
        state = next;
        generation++;
        var thread = workload;
        workload = null;
        changeState.Notify(running: false);

        Monitor.PulseAll(gate);
        return thread;
    }

    private static void Join(Thread? thread)
    {
        if (thread is not null && thread != Thread.CurrentThread)
            thread.Join();
    }

    private void RunWorkload(object? start)
    {
        var (run, started) = ((int, long))start!;
        var last = TimeSpan.Zero;
        lock (gate)
        {
            while (true)
            {
                Monitor.Wait(gate, Tick);
                if (state != VmRunState.Running || generation != run)
                    return;

                var now = time.GetElapsedTime(started);
                var elapsed = now - last < MaxCatchUp ? now - last : MaxCatchUp;
                last = now;
                Write(elapsed.TotalSeconds);
            }
        }
    }

    /// <summary>One tick's writes, in whole pages; what does not make a page yet waits for the next tick.</summary>
    private void Write(double seconds)
    {
        foreach (var share in shares)
        {
            var rate = share.GuestRam
                ? Spec.Workload.DirtyRate * (100 - throttlePercent) / 100.0
                : share.OwnRate;
            if (rate <= 0)
                continue;

            share.Carry += rate * seconds;
            var pages = (long)(share.Carry / PagedMemory.PageSize);
            if (pages == 0)
                continue;

            var bytes = pages * PagedMemory.PageSize;
            share.Carry -= bytes;
            share.Target.Dirty(bytes, random);
            Interlocked.Add(ref share.GuestRam ? ref guestBytesWritten : ref deviceBytesWritten, bytes);
        }
    }

    /// <summary>A device the workload writes: guest RAM at the guest's throttled rate, any other at its own.</summary>
    private sealed record Share(IGuestWorkload Target, long OwnRate, bool GuestRam)
    {
        /// <summary>Fractional bytes owed, carried to the next tick.</summary>
        public double Carry { get; set; }
    }
}
