using Akka.Actor;
using Orchestrator.Actors.Fleet;
using Orchestrator.Actors.Wiring;
using Orchestrator.Actors.Migration;
using Orchestrator.Cli;

namespace Orchestrator.Node;

/// <summary>The <c>Orchestrator</c> configuration section as text, before validation.</summary>
public sealed class NodeOptions
{
    public string? Name { get; set; }
    public string Hostname { get; set; } = "127.0.0.1";
    public int Port { get; set; } = 4053;
    public string[] Seeds { get; set; } = [];
    public string Api { get; set; } = "http://127.0.0.1:8080";
    public string Capabilities { get; set; } = "return-path,switchover-ack";
    public string Capacity { get; set; } = "8GiB";
    public FleetOptions Fleet { get; set; } = new();

    /// <summary>Where the node keeps files: the fleet's SQLite journal. Nodes of one cluster on one machine share it.</summary>
    public string DataDir { get; set; } = DefaultDataDir;

    public StoreOptions Store { get; set; } = new();

    public ClusterFailureOptions Cluster { get; set; } = new();

    /// <summary>TEST-ONLY fault injection (<c>ORCHESTRATOR__FAULTS__ENABLED=true</c>), for drills across processes.</summary>
    public FaultOptions Faults { get; set; } = new();

    /// <summary>The migration engine's bounds (<c>ORCHESTRATOR__MIGRATION__SETUPTIMEOUT</c>, ...); unset: the defaults.</summary>
    public MigrationBoundsOptions Migration { get; set; } = new();

    public static string DefaultDataDir =>
        Path.Combine(Environment.GetEnvironmentVariable("XDG_DATA_HOME") is { Length: > 0 } xdg
            ? xdg
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "share"), "orchestrator");

    /// <summary>
    /// The typed settings; throws <see cref="UsageException"/> (or <see cref="MigrationArgumentException"/>) naming the
    /// bad setting. <see cref="NodeOptionsValidation"/> calls it at start, so a node never runs with a bad one.
    /// </summary>
    public NodeSettings ToSettings()
    {
        if (string.IsNullOrWhiteSpace(Name))
            throw new UsageException("A node needs a name, unique in the cluster: --name HOST (or ORCHESTRATOR__NAME)");
        if (Actors.Host.HostName.Problem(Name) is { } badName)
            throw new UsageException($"--name: {badName}");
        if (Port is < 1 or > 65535)
            throw new UsageException($"Invalid --port {Port}: use 1 to 65535");
        if (!Uri.TryCreate(Api, UriKind.Absolute, out var api) || api.Scheme != Uri.UriSchemeHttp)
            throw new UsageException($"Invalid --api '{Api}': use http://HOST:PORT, e.g. http://127.0.0.1:8080");
        var capabilities = MigrationCapabilities.ParseList(Capabilities);
        if (capabilities.Check() is { } error)
            throw new MigrationArgumentException(error);
        var capacity = ByteUnits.ParseSize(Capacity, "--capacity");
        var self = new Address("akka.tcp", NodeSettings.SystemName, Hostname, Port);
        var seeds = Seeds.Length == 0
            ? [self] // the first node of a cluster seeds itself
            : Seeds.Select(Seed).ToArray();
        return new NodeSettings(Name, Hostname, Port, seeds, api, capabilities, capacity, Fleet.Validate(), Store.Validate(DataDir), Path.GetFullPath(DataDir), Cluster.Validate(), Faults.Enabled, Migration.Validate());
    }

    private static Address Seed(string seed)
    {
        var colon = seed.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(seed[(colon + 1)..], out var port) || port is < 1 or > 65535)
            throw new UsageException($"Invalid --seed '{seed}': use HOST:PORT of a node's remoting endpoint, e.g. 127.0.0.1:4053");
        return new Address("akka.tcp", NodeSettings.SystemName, seed[..colon], port);
    }
}

/// <summary>A node's validated settings.</summary>
public sealed record NodeSettings(
    string Name,
    string Hostname,
    int Port,
    IReadOnlyList<Address> Seeds,
    Uri Api,
    MigrationCapabilities Capabilities,
    long Capacity,
    FleetProtocol.Settings Fleet,
    FleetStoreOptions Store,
    string DataDir = "",
    (TimeSpan HeartbeatPause, TimeSpan DownAfter)? Failure = null,
    bool FaultsEnabled = false,
    MigrationSettings? Migration = null)
{
    /// <summary>Every node's ActorSystem has this name: a cluster needs one.</summary>
    public const string SystemName = "orchestrator";

    /// <summary>How <see cref="OrchestratorWiring.WithOrchestrator"/> starts this node.</summary>
    public OrchestratorOptions ToOrchestrator() => new(Name)
    {
        Remoting = new RemotingOptions(Hostname, Port),
        Membership = new MembershipOptions(Seeds, Failure?.HeartbeatPause ?? MembershipOptions.DefaultHeartbeatPause, Failure?.DownAfter ?? MembershipOptions.DefaultDownAfter),
        Store = Store,
        Fleet = Fleet,
        Migration = Migration ?? MigrationSettings.Default,
        Capacity = Capacity,
        IncomingCapabilities = Capabilities,
        FaultInjection = FaultsEnabled,
        LogLevel = Akka.Event.LogLevel.InfoLevel,
        StandardErrorLog = false,
    };
}

/// <summary>
/// The <c>Orchestrator:Faults</c> section. TEST-ONLY: with <c>Enabled</c>, the node serves
/// <c>POST /faults/kill-at</c> and obeys a peer's order to die (SIGKILL itself). Never in production.
/// </summary>
public sealed class FaultOptions
{
    public bool Enabled { get; set; }
}

/// <summary>The <c>Orchestrator:Migration</c> section, in seconds: the migration engine's bounds; unset keeps the defaults.</summary>
public sealed class MigrationBoundsOptions
{
    /// <summary>The destination must answer Prepare within this (default 10 s).</summary>
    public double? SetupTimeout { get; set; }

    /// <summary>After commit, the destination must say it runs within this (default 30 s).</summary>
    public double? CommitTimeout { get; set; }

    /// <summary>A precopy stream with no credit back for this long fails the migration (default 30 s).</summary>
    public double? StallTimeout { get; set; }

    /// <summary>
    /// The queueing delay each precopy stream's window aims at (default 0.25 s; see SendWindow); 0 keeps
    /// every stream at its whole window from the first chunk, however long chunks queue.
    /// </summary>
    public double? QueueDelayTarget { get; set; }

    /// <summary>Null when nothing is set: the engine's defaults.</summary>
    public MigrationSettings? Validate()
    {
        if (SetupTimeout is null && CommitTimeout is null && StallTimeout is null && QueueDelayTarget is null)
            return null;
        if (QueueDelayTarget is < 0 or > 60)
            throw new UsageException($"Invalid Migration:QueueDelayTarget {QueueDelayTarget}: use 0 (a fixed window) to 60 seconds");
        foreach (var (name, value) in new[] { ("SetupTimeout", SetupTimeout), ("CommitTimeout", CommitTimeout), ("StallTimeout", StallTimeout) })
        {
            if (value is <= 0 or > 3600)
                throw new UsageException($"Invalid Migration:{name} {value}: use more than 0 and at most 3600 seconds");
        }
        var d = MigrationSettings.Default;
        var precopy = StallTimeout is { } stall ? d.Precopy with { StallTimeout = TimeSpan.FromSeconds(stall) } : d.Precopy;
        precopy = QueueDelayTarget switch
        {
            null => precopy,
            0 => precopy.WithFixedWindow(),
            var target => precopy with { QueueDelayTarget = TimeSpan.FromSeconds(target.Value) },
        };
        return d with
        {
            SetupTimeout = SetupTimeout is { } setup ? TimeSpan.FromSeconds(setup) : d.SetupTimeout,
            CommitTimeout = CommitTimeout is { } commit ? TimeSpan.FromSeconds(commit) : d.CommitTimeout,
            Precopy = precopy,
        };
    }
}
