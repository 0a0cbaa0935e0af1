namespace Orchestrator.Devices.Contract;

/// <summary>A device refused its incoming state; the message is the user-facing reason (QEMU's text where it has one).</summary>
public sealed class DeviceLoadException(string message) : Exception(message);
