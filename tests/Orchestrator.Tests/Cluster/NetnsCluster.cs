using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using Orchestrator.Tests.Cli;
using Xunit;

namespace Orchestrator.Tests.Cluster;

/// <summary>
/// A fact that needs network namespaces: skipped, with the reason, when the tests do not run as
/// root or <c>ip netns</c> does not work here. CI runs as root, so there these tests run. Given link
/// faults (<c>rate</c>, <c>delay</c>, <c>loss</c>), it is also skipped where deploy/netns/cluster.sh cannot
/// shape them, with its reason (the probe a drill runs before it starts).
/// </summary>
public sealed class NetnsFactAttribute : FactAttribute
{
    public NetnsFactAttribute(params string[] linkFaults)
    {
        if ((NetnsCluster.Unavailable ?? linkFaults.Select(NetnsCluster.LinkFaultMissing).FirstOrDefault(why => why is not null)) is { } reason)
            Skip = reason;
    }
}

/// <summary>
/// A cluster of real node processes, each in its own network namespace with its own address,
/// started, broken and stopped with deploy/netns/cluster.sh as a drill would, with the
/// orchestrator this test run built. Faults (partition, slow link, kill) act on real links.
/// </summary>
public class NetnsCluster : IAsyncLifetime
{
    private static readonly Lazy<string?> UnavailableReason = new(Probe);

    private readonly int _nodes;
    private readonly IReadOnlyDictionary<string, string> _nodeEnvironment;
    private readonly string _dir = Directory.CreateTempSubdirectory("orchestrator-netns-").FullName;
    private string _subnet = "";

    public NetnsCluster() : this(3)
    {
    }

    /// <param name="nodeEnvironment">Extra environment for the node processes, e.g. <c>ORCHESTRATOR__CLUSTER__HEARTBEATPAUSE</c>.</param>
    /// <param name="linkFaults">What its tests shape links with (<c>rate</c>, <c>delay</c>, <c>loss</c>): where one is missing they are skipped, and it starts nothing.</param>
    protected NetnsCluster(int nodes, IReadOnlyDictionary<string, string>? nodeEnvironment = null, params string[] linkFaults)
    {
        _nodes = nodes;
        _nodeEnvironment = nodeEnvironment ?? new Dictionary<string, string>();
        _skipped = Unavailable is not null || linkFaults.Any(f => LinkFaultMissing(f) is not null);
    }

    private readonly bool _skipped;

    /// <summary>Why netns tests cannot run here, or null when they can.</summary>
    public static string? Unavailable => UnavailableReason.Value;

    private static readonly Lazy<Orchestrator.Drills.LinkFaults> LinkFaults = new(() =>
        Orchestrator.Drills.Netns.NetnsDrillCluster.ProbeLinkFaults(ClusterScript.Path("netns"), CancellationToken.None).GetAwaiter().GetResult());

    /// <summary>Why cluster.sh slow-link cannot give a link this fault here (<c>rate</c>, <c>delay</c> or <c>loss</c>), or null when it can.</summary>
    public static string? LinkFaultMissing(string fault) => fault switch
    {
        "rate" => LinkFaults.Value.Rate,
        "delay" => LinkFaults.Value.Delay,
        "loss" => LinkFaults.Value.Loss,
        _ => throw new ArgumentException($"no link fault '{fault}': rate, delay or loss", nameof(fault)),
    };

    /// <summary>The nodes' APIs are on a private subnet: never through a proxy.</summary>
    public HttpClient Http { get; } = new(new HttpClientHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(30) };

    public int Nodes => _nodes;

    public string Dir => _dir;

    public string Address(int node) => $"10.{_subnet}.0.{node}";

    public string Api(int node = 1) => $"http://{Address(node)}:8080";

    public IReadOnlyDictionary<string, string> Environment(int node = 1) => new Dictionary<string, string> { ["ORCHESTRATOR_API"] = Api(node) };

    public async Task InitializeAsync()
    {
        if (_skipped)
            return; // every test of this fixture is skipped
        var (code, output) = await ClusterScript.Run("netns", _nodeEnvironment, "start", _nodes.ToString(), "--dir", _dir);
        Assert.True(code == 0, $"netns cluster.sh start failed:\n{output}");
        _subnet = File.ReadLines(Path.Combine(_dir, "cluster.env"))
            .Single(l => l.StartsWith("NETNS_SUBNET=", StringComparison.Ordinal))["NETNS_SUBNET=".Length..];
        await ClusterScript.WaitForMembers(() => Get("/hosts"), _nodes, "the netns cluster");
    }

    public async Task DisposeAsync()
    {
        if (!_skipped)
        {
            var (code, output) = await ClusterScript.Run("netns", _nodeEnvironment, "stop", "--dir", _dir);
            Assert.True(code == 0, $"netns cluster.sh stop failed:\n{output}");
        }
        Http.Dispose();
    }

    /// <summary>SIGKILL a node's process, as a crash would.</summary>
    public Task Kill(int node) => Run("kill", node.ToString(), "--dir", _dir);

    /// <summary>Cut the link between two hosts, both ways.</summary>
    public Task Partition(int a, int b) => Run("partition", a.ToString(), b.ToString(), "--dir", _dir);

    public Task Heal(int a, int b) => Run("heal", a.ToString(), b.ToString(), "--dir", _dir);

    /// <summary>Shape the link between two hosts, both ways: <paramref name="rate"/> like <c>20mbit</c>, <paramref name="loss"/> like <c>2%</c> (netem or nftables); delay needs netem in the kernel.</summary>
    public Task SlowLink(int a, int b, string? rate = null, string? delay = null, string? loss = null)
    {
        var args = new List<string> { "slow-link", a.ToString(), b.ToString(), "--dir", _dir };
        if (rate is not null)
            args.AddRange(["--rate", rate]);
        if (delay is not null)
            args.AddRange(["--delay", delay]);
        if (loss is not null)
            args.AddRange(["--loss", loss]);
        return Run([.. args]);
    }

    public Task ClearLink(int a, int b) => Run("clear-link", a.ToString(), b.ToString(), "--dir", _dir);

    /// <summary>cluster.sh status: a line per node, with the faults on its links.</summary>
    public async Task<string> Status()
    {
        var (code, output) = await ClusterScript.Run("netns", _nodeEnvironment, ["status", "--dir", _dir]);
        Assert.True(code == 0, $"netns cluster.sh status failed:\n{output}");
        return output;
    }

    public string Log(int node) => File.ReadAllText(Path.Combine(_dir, $"host{node}.log"));

    public Task<(int Status, JsonNode? Body)> Send(HttpMethod method, string path, string? json = null, int node = 1) =>
        ClusterScript.Send(Http, method, Api(node) + path, json);

    public async Task<JsonNode> Get(string path, int node = 1)
    {
        var (status, body) = await Send(HttpMethod.Get, path, node: node);
        Assert.True(status == 200, $"GET {path} on host{node}: {status} {body}");
        return body!;
    }

    /// <summary>query-migrate of <paramref name="vm"/> until its migration ends, or fails the test after <paramref name="limit"/>.</summary>
    public async Task<JsonObject> UntilMigrationEnded(string vm, TimeSpan limit)
    {
        var deadline = DateTime.UtcNow + limit;
        while (true)
        {
            var info = (await Get($"/vms/{vm}/migration")).AsObject();
            if ((string?)info["status"] is "completed" or "failed" or "cancelled")
                return info;
            Assert.True(DateTime.UtcNow < deadline, $"migration of {vm} still {(string?)info["status"]}: {info.ToJsonString()}");
            await Task.Delay(250);
        }
    }

    public Task<OrchestratorProcess.Result> Cli(params string[] args) =>
        OrchestratorProcess.Run(TimeSpan.FromSeconds(120), Environment(), args);

    private async Task Run(params string[] args)
    {
        var (code, output) = await ClusterScript.Run("netns", _nodeEnvironment, args);
        Assert.True(code == 0, $"netns cluster.sh {string.Join(' ', args)} failed:\n{output}");
    }

    [DllImport("libc", EntryPoint = "geteuid")]
    private static extern uint GetEuid();

    /// <summary>Root, and a namespace can be made and removed: otherwise the reason to skip.</summary>
    private static string? Probe()
    {
        if (!OperatingSystem.IsLinux())
            return "network namespaces are Linux only";
        if (GetEuid() != 0)
            return "needs root for network namespaces (deploy/netns/cluster.sh); CI runs these as root";
        var name = $"orc-probe-{System.Environment.ProcessId}";
        try
        {
            var added = RunIp("netns", "add", name);
            if (added.Code != 0)
                return $"'ip netns add' does not work here: {added.Output.Trim()}";
            RunIp("netns", "del", name);
            return null;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return $"'ip' (iproute2) cannot be run: {e.Message}";
        }
    }

    private static (int Code, string Output) RunIp(params string[] args)
    {
        var start = new ProcessStartInfo("ip") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
            start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, output);
    }
}
