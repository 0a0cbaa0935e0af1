namespace Orchestrator.Devices.Machine;

/// <summary>
/// A device's share of the guest workload, apart from the migration contract: while the VM runs, its
/// workload thread calls <see cref="Dirty"/> every tick, and a migration only sees the dirty pages left.
/// </summary>
public interface IGuestWorkload
{
    /// <summary>
    /// Rewrites ceil(<paramref name="bytes"/> / 4 KiB) whole pages with noise drawn from <paramref name="random"/>,
    /// marking them dirty. Nothing for bytes &lt;= 0; a device may ignore writes in states where it is stopped.
    /// </summary>
    void Dirty(long bytes, Random random);
}
