using System.Diagnostics;
using System.Text.Json.Nodes;
using Orchestrator.Tests.Cli;

namespace Orchestrator.Tests.Cluster;

/// <summary>What the process-based cluster fixtures share: running a deploy/*/cluster.sh and waiting for the members.</summary>
internal static class ClusterScript
{
    private static readonly TimeSpan ScriptTimeout = TimeSpan.FromSeconds(120);

    /// <summary>Runs deploy/<paramref name="flavour"/>/cluster.sh with the orchestrator this test run built.</summary>
    public static async Task<(int Code, string Output)> Run(string flavour, IReadOnlyDictionary<string, string> nodeEnvironment, params string[] args)
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path(flavour));
        foreach (var arg in args)
            start.ArgumentList.Add(arg);
        start.Environment["ORCHESTRATOR_BIN"] = OrchestratorProcess.Dll;
        start.Environment["CAPACITY"] = "2GiB";
        foreach (var (name, value) in nodeEnvironment)
            start.Environment[name] = value;
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cancel = new CancellationTokenSource(ScriptTimeout);
        await process.WaitForExitAsync(cancel.Token);
        return (process.ExitCode, await stdout + await stderr);
    }

    /// <summary>deploy/<paramref name="flavour"/>/cluster.sh in this repository.</summary>
    public static string Path(string flavour) => System.IO.Path.Combine(RepositoryRoot(), "deploy", flavour, "cluster.sh");

    /// <summary>Until the API lists <paramref name="count"/> hosts up with their capacity (60 s at most).</summary>
    public static Task WaitForMembers(Func<Task<JsonNode>> getHosts, int count, string what) =>
        Eventually.Until(
            async () =>
            {
                try
                {
                    var hosts = (await getHosts()).AsArray();
                    return hosts.Count(h => (string?)h!["status"] == "up" && h["capacity"] is not null) == count;
                }
                catch (HttpRequestException)
                {
                    return false; // the API is not listening yet
                }
            },
            TimeSpan.FromSeconds(60),
            $"{what} shows {count} hosts up",
            every: TimeSpan.FromMilliseconds(250));

    /// <summary>One API request; the status and the JSON body (null when empty).</summary>
    public static async Task<(int Status, JsonNode? Body)> Send(HttpClient http, HttpMethod method, string url, string? json)
    {
        using var request = new HttpRequestMessage(method, url);
        if (json is not null)
            request.Content = new StringContent(json, System.Text.Encoding.UTF8, "application/json");
        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return ((int)response.StatusCode, text.Length == 0 ? null : JsonNode.Parse(text));
    }

    public static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "Orchestrator.sln")))
                return dir.FullName;
        }
        throw new InvalidOperationException("Orchestrator.sln not found above " + AppContext.BaseDirectory);
    }
}
