namespace Orchestrator.Devices.Contract;

/// <summary>A device model: one instance is either a source or a destination of a migration.</summary>
public interface IMigratableDevice : IDeviceSaveHandlers, IDeviceLoadHandlers;
