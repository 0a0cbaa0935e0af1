namespace Orchestrator.Devices.Ram;

/// <summary>A VM's guest RAM: the device the vCPUs write (so auto-converge's throttle slows it), with query-migrate's RAM statistics.</summary>
public interface IGuestRam : IDevice, IGuestWorkload
{
    /// <summary>For the current or last migration; safe to read while it streams.</summary>
    RamStatistics Statistics { get; }

    /// <summary>Drills' fault: flips a bit of page 0 unmarked, as a corrupted chunk would; the digest check must then refuse to start this copy.</summary>
    void FlipBitForFaultInjection();
}
