namespace Orchestrator.Devices.Contract;

/// <summary>A device's name inside one VM (QEMU's section id string, e.g. <c>ram</c>, <c>0000:17:00.2</c>).</summary>
public readonly record struct DeviceName(string Value)
{
    public override string ToString() => Value;
}
