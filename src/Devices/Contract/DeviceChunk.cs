namespace Orchestrator.Devices.Contract;

/// <summary>One piece of a device's migration stream; the payload's layout is the device's, the transport only moves and counts it.</summary>
public sealed record DeviceChunk(byte[] Payload)
{
    public int Length => Payload.Length;
}
