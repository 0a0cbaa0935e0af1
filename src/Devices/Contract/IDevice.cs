namespace Orchestrator.Devices.Contract;

/// <summary>What both halves of a device's SaveVMHandlers share: who it is, and a fingerprint of its state.</summary>
public interface IDevice
{
    DeviceName Name { get; }
    DeviceKind Kind { get; }
    DeviceSpec Spec { get; }

    /// <summary>Equal digests mean equal bytes; a source and its loaded twin must agree.</summary>
    DeviceDigest Digest();
}
