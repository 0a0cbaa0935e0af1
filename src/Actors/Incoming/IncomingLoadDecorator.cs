namespace Orchestrator.Actors.Incoming;

/// <summary>
/// What a device's loader calls instead of the twin's device: a node has none; one with fault injection (drills, tests) gets one
/// that corrupts what is loaded (<see cref="Faults.IncomingCorruption"/>).
/// </summary>
/// <param name="device">One of the twin's devices, in the spec's order.</param>
/// <returns><paramref name="device"/> itself, or a decorator of it.</returns>
public delegate IDeviceLoadHandlers IncomingLoadDecorator(VmSpec vm, IMigratableDevice device);
