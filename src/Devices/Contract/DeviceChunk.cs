namespace Orchestrator.Devices.Contract;

/// <summary>
/// One piece of a device's migration stream. The payload's layout belongs to the device alone:
/// the transport moves it and counts its bytes, nothing more.
/// </summary>
public sealed record DeviceChunk(byte[] Payload)
{
    public int Length => Payload.Length;
}
