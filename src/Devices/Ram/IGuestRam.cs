using Orchestrator.Devices.Contract;
using Orchestrator.Devices.Machine;

namespace Orchestrator.Devices.Ram;

/// <summary>
/// A VM's guest RAM as the rest of the system sees it: the device the guest's vCPUs write (so auto-converge's
/// throttle slows those writes), with query-migrate's RAM statistics.
/// </summary>
public interface IGuestRam : IDevice, IGuestWorkload
{
    /// <summary>For the current or last migration; safe to read while it streams.</summary>
    RamStatistics Statistics { get; }

    /// <summary>
    /// Fault injection for drills: flips one bit of page 0 without marking it dirty, as a chunk corrupted on
    /// its way would. A destination's digest check must then refuse to start this copy.
    /// </summary>
    void FlipBitForFaultInjection();
}
