namespace Orchestrator.Actors.Wiring;

/// <summary>Everything <see cref="OrchestratorWiring.WithOrchestrator"/> needs to start a node, validated by whoever built it.</summary>
/// <param name="Name">The host's name, unique in the cluster; it travels as the cluster role <see cref="HostRole.Of"/>.</param>
public sealed record OrchestratorOptions(string Name)
{
    public RemotingOptions Remoting { get; init; } = new();

    /// <summary>Null: plain remoting, with no cluster, no fleet and no fencing (the demo, two-node tests).</summary>
    public MembershipOptions? Membership { get; init; }

    /// <summary>Where the fleet coordinator and the ownership ledger journal; Akka's in-memory journal unless set.</summary>
    public FleetStoreOptions Store { get; init; } = FleetStoreOptions.InMemory;

    public FleetProtocol.Settings Fleet { get; init; } = FleetProtocol.Settings.Default;

    public MigrationSettings Migration { get; init; } = MigrationSettings.Default;

    /// <summary>Bytes of VM state the host may hold.</summary>
    public long Capacity { get; init; } = long.MaxValue;

    /// <summary>What incoming migrations may use; null: every capability.</summary>
    public MigrationCapabilities? IncomingCapabilities { get; init; }

    /// <summary>QEMU's parameters on this node as a destination (<c>multifd-channels</c>); null: QEMU's defaults.</summary>
    public MigrationParameters? IncomingParameters { get; init; }

    /// <summary>TEST-ONLY: the fault injector (kill at a phase, corrupt the next incoming copy) for drills. Never in production.</summary>
    public bool FaultInjection { get; init; }

    /// <summary>Tests only, without <see cref="FaultInjection"/>: wraps what incoming migrations load.</summary>
    public IncomingLoadDecorator? DecorateLoads { get; init; }

    public LogLevel LogLevel { get; init; } = LogLevel.WarningLevel;

    /// <summary>Akka's log on stderr (commands whose stdout is their output); otherwise Microsoft.Extensions.Logging (the node).</summary>
    public bool StandardErrorLog { get; init; } = true;
}
