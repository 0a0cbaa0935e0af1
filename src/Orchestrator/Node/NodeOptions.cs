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

    /// <summary>The first bad setting, named as a person sets it (QEMU's text for capabilities); null when the node may start.</summary>
    public string? Problem() =>
        string.IsNullOrWhiteSpace(Name) ? "A node needs a name, unique in the cluster: --name HOST (or ORCHESTRATOR__NAME)"
        : HostName.Problem(Name) is { } badName ? $"--name: {badName}"
        : Port is < 1 or > 65535 ? $"Invalid --port {Port}: use 1 to 65535"
        : ApiUri is null ? $"Invalid --api '{Api}': use http://HOST:PORT, e.g. http://127.0.0.1:8080"
        : CapabilitiesProblem() is { } capabilities ? capabilities
        : ByteUnits.SizeProblem(Capacity, "--capacity") is { } capacity ? capacity
        : Seeds.FirstOrDefault(s => Seed(s) is null) is { } seed ? $"Invalid --seed '{seed}': use HOST:PORT of a node's remoting endpoint, e.g. 127.0.0.1:4053"
        : Fleet.Problem() ?? Store.Problem(DataDir) ?? Cluster.Problem() ?? Migration.Problem();

    /// <summary>The typed settings of options whose <see cref="Problem"/> is null.</summary>
    public NodeSettings ToSettings()
    {
        var seeds = Seeds.Length == 0
            ? [new Address("akka.tcp", NodeSettings.SystemName, Hostname, Port)] // the first node of a cluster seeds itself
            : Seeds.Select(s => Seed(s)!).ToArray();
        var orchestrator = new OrchestratorOptions(Name!)
        {
            Remoting = new RemotingOptions(Hostname, Port),
            Membership = Cluster.Membership(seeds),
            Store = Store.ToStore(DataDir),
            Fleet = Fleet.ToSettings(),
            Migration = Migration.ToSettings(),
            Capacity = Quantity.Size(Capacity)!.Value,
            IncomingCapabilities = MigrationCapabilities.ParseList(Capabilities),
            FaultInjection = Faults.Enabled,
            LogLevel = Akka.Event.LogLevel.InfoLevel,
            StandardErrorLog = false,
        };
        return new NodeSettings(orchestrator, ApiUri!, Path.GetFullPath(DataDir));
    }

    private Uri? ApiUri => Uri.TryCreate(Api, UriKind.Absolute, out var api) && api.Scheme == Uri.UriSchemeHttp ? api : null;

    private string? CapabilitiesProblem()
    {
        try
        {
            return MigrationCapabilities.ParseList(Capabilities).Check();
        }
        catch (MigrationArgumentException e)
        {
            return e.Message;
        }
    }

    private static Address? Seed(string seed)
    {
        var colon = seed.LastIndexOf(':');
        return colon > 0 && int.TryParse(seed[(colon + 1)..], out var port) && port is >= 1 and <= 65535
            ? new Address("akka.tcp", NodeSettings.SystemName, seed[..colon], port)
            : null;
    }
}

/// <summary>A node's validated settings: how <see cref="OrchestratorWiring.WithOrchestrator"/> starts it, and where its API listens.</summary>
public sealed record NodeSettings(OrchestratorOptions Orchestrator, Uri Api, string DataDir)
{
    /// <summary>Every node's ActorSystem has this name: a cluster needs one.</summary>
    public const string SystemName = "orchestrator";

    public string Name => Orchestrator.Name;
}

/// <summary>The <c>Orchestrator:Faults</c> section. TEST-ONLY: <c>Enabled</c> serves /faults and obeys a peer's order to die (SIGKILL). Never in production.</summary>
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

    /// <summary>The queueing delay each precopy stream's window aims at (default 0.25 s; SendWindow); 0: always the whole window.</summary>
    public double? QueueDelayTarget { get; set; }

    public string? Problem()
    {
        if (QueueDelayTarget is < 0 or > 60)
            return $"Invalid Migration:QueueDelayTarget {QueueDelayTarget}: use 0 (a fixed window) to 60 seconds";
        var (name, value) = new[] { ("SetupTimeout", SetupTimeout), ("CommitTimeout", CommitTimeout), ("StallTimeout", StallTimeout) }
            .FirstOrDefault(bound => bound.Item2 is <= 0 or > 3600);
        return name is null ? null : $"Invalid Migration:{name} {value}: use more than 0 and at most 3600 seconds";
    }

    public MigrationSettings ToSettings()
    {
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
