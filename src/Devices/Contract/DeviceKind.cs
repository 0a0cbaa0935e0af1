namespace Orchestrator.Devices.Contract;

/// <summary>The device models this project ships; the wire and the CLI use the lower-case names.</summary>
public enum DeviceKind
{
    Ram,
    Vfio,
    Vgpu,
}

public static class DeviceKindNames
{
    public static string Name(this DeviceKind kind) => kind switch
    {
        DeviceKind.Ram => "ram",
        DeviceKind.Vfio => "vfio",
        DeviceKind.Vgpu => "vgpu",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };
}
