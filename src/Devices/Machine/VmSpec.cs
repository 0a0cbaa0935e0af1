namespace Orchestrator.Devices.Machine;

/// <summary>How the guest writes its memory while it runs.</summary>
public enum DirtyPattern
{
    /// <summary>Uniformly over all pages.</summary>
    Random,

    /// <summary>Nine writes in ten land in a hot tenth of memory.</summary>
    HotSet,
}

/// <param name="DirtyRate">Bytes per second the guest writes into RAM before any throttle.</param>
public sealed record WorkloadSpec(long DirtyRate, DirtyPattern Pattern = DirtyPattern.Random, int Seed = 1);

/// <summary>A VM's shape: its devices (RAM first) and its guest workload. Plain values, so it can travel.</summary>
public sealed record VmSpec(string Name, IReadOnlyList<DeviceSpec> Devices, WorkloadSpec Workload);
