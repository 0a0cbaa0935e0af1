namespace Orchestrator.Actors.Migration;

/// <summary>Settings of the migration engine itself (not QEMU parameters): bounds on every wait.</summary>
/// <param name="SetupTimeout">The destination host must answer Prepare within this.</param>
/// <param name="CommitTimeout">After commit, the destination must say it runs within this; else ownership is unknown and the source stays paused.</param>
/// <param name="PreSwitchoverTimeout">pre-switchover waits this long for migrate-continue, then fails and resumes the source.</param>
/// <param name="Ownership">Fencing: how long the ownership ledger's answers may take.</param>
/// <param name="Clock">What a migration measures time with (total-time, downtime, bandwidth slices, stalls); tests pass a fake one.</param>
/// <param name="MultifdTransport">What multifd channels run over: plain sockets when null (TLS will wrap them here).</param>
public sealed record MigrationSettings(
    PrecopyProtocol.Settings Precopy,
    TimeSpan SetupTimeout,
    TimeSpan CommitTimeout,
    TimeSpan PreSwitchoverTimeout,
    OwnershipTimeouts? Ownership = null,
    TimeProvider? Clock = null,
    Multifd.MultifdProtocol.Transport? MultifdTransport = null)
{
    public OwnershipTimeouts OwnershipTimeouts => Ownership ?? OwnershipTimeouts.Default;

    public TimeProvider Time => Clock ?? TimeProvider.System;

    public static readonly MigrationSettings Default = new(
        new PrecopyProtocol.Settings(),
        TimeSpan.FromSeconds(10),
        TimeSpan.FromSeconds(30),
        TimeSpan.FromMinutes(10));

    /// <summary>QEMU's migration loop period.</summary>
    public static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(100);
}

/// <summary>Bounds on the conversation with the ownership ledger (fencing).</summary>
/// <param name="Ask">One ask may take this long before its answer counts as lost.</param>
/// <param name="Retry">Between two asks while resolving; a failover of the ledger's node takes a few of these.</param>
/// <param name="ResolveAttempts">A source stops asking after this many and stays paused, reporting why.</param>
public sealed record OwnershipTimeouts(TimeSpan Ask, TimeSpan Retry, int ResolveAttempts)
{
    public static readonly OwnershipTimeouts Default = new(TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(2), 60);
}

/// <summary>What a running migration answers to, on the source node.</summary>
internal static class MigrationProtocol
{
    /// <summary>QEMU's <c>query-migrate</c>; answered with <see cref="MigrationInfo"/>.</summary>
    public sealed record Query { public static readonly Query Instance = new(); }

    /// <summary>QEMU's <c>migrate_cancel</c>.</summary>
    /// <param name="Reason">What error-desc says of it: QEMU's words for a user's cancel, the cause when the fleet or the node cancels.</param>
    public sealed record Cancel(string Reason = Cancel.ByRequest)
    {
        public const string ByRequest = "migration cancelled by request";

        public static readonly Cancel Instance = new();
    }

    /// <summary>QEMU's <c>migrate-continue</c> from <c>pre-switchover</c>; answered with <see cref="CommandResult"/>.</summary>
    public sealed record Continue { public static readonly Continue Instance = new(); }

    /// <summary>Stop the guest so precopy converges; a rollback restarts it, a completion starts it on the destination.</summary>
    public sealed record PauseGuest { public static readonly PauseGuest Instance = new(); }

    /// <summary>New parameters while running: max-bandwidth and the others take effect at the next tick.</summary>
    public sealed record ParametersChanged(MigrationParameters Parameters);

    /// <summary>To the host: the migration reached a terminal state; <paramref name="Final"/> is its last query-migrate.</summary>
    /// <param name="HandedOver">The VM belongs to the destination now (completed, or committed in the ledger), so the host forgets it.</param>
    /// <param name="OwnershipUnknown">The VM was left paused because whether the destination owns it is not known.</param>
    public sealed record Ended(MigrationId Migration, string Vm, MigrationInfo Final, bool HandedOver = false, bool OwnershipUnknown = false);
}

/// <summary>The answer to a command: accepted, or QEMU's error text.</summary>
public sealed record CommandResult(string? Error) : Wire.IHostWire
{
    public static readonly CommandResult Ok = new((string?)null);

    public static CommandResult Fail(string error) => new(error);

    /// <summary>How an HTTP API should present the error: not found, a conflict, or bad input.</summary>
    public ErrorKind Kind { get; init; } = ErrorKind.Invalid;

    public static CommandResult NotFound(string error) => new(error) { Kind = ErrorKind.NotFound };

    public static CommandResult Conflict(string error) => new(error) { Kind = ErrorKind.Conflict };
}

public enum ErrorKind
{
    Invalid,
    NotFound,
    Conflict,

    /// <summary>A part of the cluster it needs (a singleton, a host) did not answer in time: try again.</summary>
    Unavailable,
}
