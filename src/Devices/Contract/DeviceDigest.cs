namespace Orchestrator.Devices.Contract;

/// <summary>A fingerprint of a device's whole state; equal digests mean equal bytes.</summary>
public readonly record struct DeviceDigest(string Hex)
{
    public override string ToString() => Hex;
}
