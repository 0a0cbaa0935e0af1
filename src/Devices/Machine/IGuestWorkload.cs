namespace Orchestrator.Devices.Machine;

/// <summary>A device's share of the guest workload: the VM's workload thread calls <see cref="Dirty"/> every tick while it runs.</summary>
public interface IGuestWorkload
{
    /// <summary>
    /// Rewrites ceil(<paramref name="bytes"/> / 4 KiB) whole pages with noise from <paramref name="random"/>, marking them dirty.
    /// Nothing for bytes &lt;= 0; a stopped device may ignore writes.
    /// </summary>
    void Dirty(long bytes, Random random);
}
