using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Orchestrator.Tests.Cli;
using Xunit;

namespace Orchestrator.Tests.Cluster;

/// <summary>
/// A cluster of real node processes on 127.0.0.1, started and stopped with deploy/local/cluster.sh
/// as a user would, on free ports, with the orchestrator this test run built.
/// </summary>
public class LocalCluster : IAsyncLifetime
{

    private readonly int _nodes;
    private readonly IReadOnlyDictionary<string, string> _nodeEnvironment;
    private readonly string _dir = Directory.CreateTempSubdirectory("orchestrator-cluster-").FullName;
    private int _basePort;
    private int _apiBasePort;

    public LocalCluster() : this(3)
    {
    }

    /// <param name="nodeEnvironment">Extra environment for the node processes, e.g. <c>ORCHESTRATOR__FLEET__PROGRESSTIMEOUT</c>.</param>
    protected LocalCluster(int nodes, IReadOnlyDictionary<string, string>? nodeEnvironment = null)
    {
        _nodes = nodes;
        _nodeEnvironment = nodeEnvironment ?? new Dictionary<string, string>();
    }

    public HttpClient Http { get; } = new() { Timeout = TimeSpan.FromSeconds(30) };

    public string Api(int node = 1) => $"http://127.0.0.1:{_apiBasePort + node - 1}";

    /// <summary>The environment a CLI user of this cluster has.</summary>
    public IReadOnlyDictionary<string, string> Environment(int node = 1) => new Dictionary<string, string> { ["ORCHESTRATOR_API"] = Api(node) };

    public async Task InitializeAsync()
    {
        _basePort = FreePortRun(_nodes);
        _apiBasePort = FreePortRun(_nodes, after: _basePort + _nodes);
        var (code, output) = await ClusterScript.Run("local", _nodeEnvironment, "start", _nodes.ToString(), "--dir", _dir, "--base-port", _basePort.ToString(), "--api-base-port", _apiBasePort.ToString());
        Assert.True(code == 0, $"cluster.sh start failed:\n{output}");
        await ClusterScript.WaitForMembers(() => Get("/hosts"), _nodes, "the cluster");
    }

    public async Task DisposeAsync()
    {
        await ClusterScript.Run("local", _nodeEnvironment, "stop", "--dir", _dir);
        Http.Dispose();
    }

    /// <summary>SIGKILL a node's process, as a crash would.</summary>
    public void Kill(int node)
    {
        var pid = int.Parse(File.ReadAllText(Path.Combine(_dir, $"host{node}.pid")).Trim());
        Process.GetProcessById(pid).Kill();
    }

    /// <summary>SIGSTOP a node's process: it keeps its sockets open and answers nothing, as a host stuck in the kernel or a hung VM host does.</summary>
    public Task Freeze(int node) => Signal(node, "-STOP");

    /// <summary>SIGCONT a node frozen by <see cref="Freeze"/>.</summary>
    public Task Thaw(int node) => Signal(node, "-CONT");

    private async Task Signal(int node, string signal)
    {
        var pid = File.ReadAllText(Path.Combine(_dir, $"host{node}.pid")).Trim();
        using var kill = Process.Start("kill", [signal, pid]);
        await kill.WaitForExitAsync();
        Assert.True(kill.ExitCode == 0, $"kill {signal} {pid} failed");
    }

    /// <summary>SIGTERM a node's process, as systemd or Ctrl+C would, and wait for it to exit.</summary>
    public async Task Terminate(int node)
    {
        var pid = int.Parse(File.ReadAllText(Path.Combine(_dir, $"host{node}.pid")).Trim());
        using var process = Process.GetProcessById(pid);
        using (var kill = Process.Start("kill", ["-TERM", pid.ToString()]))
            await kill.WaitForExitAsync();
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(cancel.Token);
    }

    public string Log(int node) => File.ReadAllText(Path.Combine(_dir, $"host{node}.log"));

    /// <summary>The folder of the nodes' logs (hostN.log); it outlives the run, so a failure can be read afterwards.</summary>
    public string LogDirectory => _dir;

    /// <summary>
    /// For a failure message: every node's Akka log lines that contain one of <paramref name="needles"/>, each with its
    /// host, in the order of their timestamps, and where the whole logs are.
    /// </summary>
    public string LogLines(params string[] needles)
    {
        var lines = Enumerable.Range(1, _nodes)
            .Where(n => File.Exists(Path.Combine(_dir, $"host{n}.log")))
            .SelectMany(n => File.ReadLines(Path.Combine(_dir, $"host{n}.log"))
                .Where(l => needles.Any(l.Contains) && AkkaTimestamp.IsMatch(l))
                .Select(l => (Line: l.Trim(), Host: n)))
            .OrderBy(l => AkkaTimestamp.Match(l.Line).Value, StringComparer.Ordinal)
            .Select(l => $"host{l.Host} {l.Line}");
        return $"logs of every node in {_dir}; the lines that matter:\n{string.Join('\n', lines)}";
    }

    public Task<(int Status, JsonNode? Body)> Send(HttpMethod method, string path, string? json = null, int node = 1) =>
        ClusterScript.Send(Http, method, Api(node) + path, json);

    public async Task<JsonNode> Get(string path, int node = 1)
    {
        var (status, body) = await Send(HttpMethod.Get, path, node: node);
        Assert.True(status == 200, $"GET {path}: {status} {body}");
        return body!;
    }

    public Task<OrchestratorProcess.Result> Cli(params string[] args) =>
        OrchestratorProcess.Run(TimeSpan.FromSeconds(120), Environment(), args);

    // "[INFO][11/29/2026 20:36:24.937Z][Thread 0010]...": one day's lines sort by it as text.
    private static readonly Regex AkkaTimestamp = new(@"\d\d:\d\d:\d\d\.\d+Z");

    /// <summary>The first of <paramref name="count"/> consecutive free loopback ports.</summary>
    private static int FreePortRun(int count, int after = 0)
    {
        for (var attempt = 0; attempt < 50; attempt++)
        {
            // Below the ephemeral range (32768+) that the OS hands out for other sockets.
            var first = Math.Max(after, Random.Shared.Next(20000, 32000 - count));
            if (Enumerable.Range(first, count).All(IsFree))
                return first;
        }
        throw new InvalidOperationException("no run of free ports found");
    }

    private static bool IsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
