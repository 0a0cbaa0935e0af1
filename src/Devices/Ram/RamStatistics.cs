namespace Orchestrator.Devices.Ram;

/// <summary>The RAM part of QEMU's query-migrate, for the current (or last) migration of one RAM device.</summary>
/// <param name="Total">RAM size in bytes.</param>
/// <param name="Duplicate">Zero pages sent as markers.</param>
/// <param name="Normal">Pages sent with their content.</param>
/// <param name="NormalBytes">Content bytes of normal pages.</param>
/// <param name="DirtySyncCount">Dirty bitmap syncs, including the one at setup.</param>
/// <param name="DirtyPagesRate">Pages per second the guest dirtied between the last two syncs.</param>
/// <param name="PageSize">Always 4096.</param>
/// <param name="Remaining">Bytes still in the migration bitmap (the estimate, no sync).</param>
/// <param name="Transferred">Payload bytes handed out since setup, record headers included.</param>
public sealed record RamStatistics(
    long Total,
    long Duplicate,
    long Normal,
    long NormalBytes,
    long DirtySyncCount,
    long DirtyPagesRate,
    long PageSize,
    long Remaining,
    long Transferred);
