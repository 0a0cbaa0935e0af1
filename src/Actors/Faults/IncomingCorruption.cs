using Orchestrator.Devices.Ram;

namespace Orchestrator.Actors.Faults;

/// <summary>
/// TEST-ONLY: an armed VM's next incoming copy here gets one RAM bit flipped once loaded, as a chunk corrupted on the way would; the digest
/// check must then refuse to start it. Hosts get <see cref="Decorate"/> only with fault injection enabled. Thread-safe: armed from a drill
/// or the fault injector, consumed by an incoming migration.
/// </summary>
internal sealed class IncomingCorruption(ILoggingAdapter log)
{
    private readonly Lock _sync = new();
    private readonly HashSet<string> _armed = [];

    /// <summary>One-shot: the next incoming copy of <paramref name="vm"/> here is corrupted.</summary>
    public void Arm(string vm)
    {
        lock (_sync)
            _armed.Add(vm);
    }

    /// <summary>An <see cref="Incoming.IncomingLoadDecorator"/>: the RAM of an armed VM's twin, disarming it.</summary>
    public IDeviceLoadHandlers Decorate(VmSpec vm, IMigratableDevice device)
    {
        if (device is not IGuestRam ram)
            return device;
        lock (_sync)
        {
            if (!_armed.Remove(vm.Name))
                return device;
        }
        return new FlippedOnceLoaded(device, ram, () => log.Warning("Fault injection flipped a bit of {0}'s loaded RAM", vm.Name));
    }

    /// <summary>Flips the bit after the end-of-state marker is loaded: no later chunk can overwrite it.</summary>
    private sealed class FlippedOnceLoaded(IMigratableDevice device, IGuestRam ram, Action flipped) : IDeviceLoadHandlers
    {
        private bool _done;

        public DeviceName Name => device.Name;
        public DeviceKind Kind => device.Kind;
        public DeviceSpec Spec => device.Spec;
        public bool SwitchoverAckNeeded => device.SwitchoverAckNeeded;
        public bool LoadComplete => device.LoadComplete;

        public DeviceDigest Digest() => device.Digest();

        public void LoadSetup(LoadContext context) => device.LoadSetup(context);

        public void LoadCleanup() => device.LoadCleanup();

        public async ValueTask LoadState(DeviceChunk chunk, CancellationToken cancellationToken)
        {
            await device.LoadState(chunk, cancellationToken);
            if (device.LoadComplete && !_done)
            {
                _done = true;
                ram.FlipBitForFaultInjection();
                flipped();
            }
        }
    }
}
