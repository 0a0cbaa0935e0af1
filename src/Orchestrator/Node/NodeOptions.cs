using Akka.Actor;
using Orchestrator.Actors.Fleet;
using Orchestrator.Actors.Hosting;
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

    public static string DefaultDataDir =>
        Path.Combine(Environment.GetEnvironmentVariable("XDG_DATA_HOME") is { Length: > 0 } xdg
            ? xdg
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "share"), "orchestrator");

    /// <summary>Checks everything and gives the typed settings; a clear error names the bad setting.</summary>
    public NodeSettings Validate()
    {
        if (string.IsNullOrWhiteSpace(Name))
            throw new UsageException("A node needs a name, unique in the cluster: --name HOST (or ORCHESTRATOR__NAME)");
        if (!System.Text.RegularExpressions.Regex.IsMatch(Name, "^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$"))
            throw new UsageException($"Invalid node name '{Name}': use letters, digits, '.', '_' or '-'");
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
        return new NodeSettings(Name, Hostname, Port, seeds, api, capabilities, capacity, Fleet.Validate(), Store.Validate(DataDir), Path.GetFullPath(DataDir), Cluster.Validate());
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
    (TimeSpan HeartbeatPause, TimeSpan DownAfter)? Failure = null)
{
    /// <summary>Every node's ActorSystem has this name: a cluster needs one.</summary>
    public const string SystemName = "orchestrator";

    /// <summary>The cluster role that carries a node's host name.</summary>
    public string Role => HostRole.Of(Name);
}
