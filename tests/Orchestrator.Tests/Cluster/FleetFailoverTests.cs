using System.Text.Json.Nodes;
using Orchestrator.Tests.Fleet;
using Xunit;

namespace Orchestrator.Tests.Cluster;

/// <summary>
/// Four nodes whose fleet journal is shared: SQLite in the cluster's directory, or PostgreSQL when CI
/// provides one. Failures are detected and downed within seconds so a failover fits in a test.
/// </summary>
public sealed class FailoverCluster() : LocalCluster(4, NodeEnvironment())
{
    private static Dictionary<string, string> NodeEnvironment()
    {
        var environment = new Dictionary<string, string>
        {
            ["ORCHESTRATOR__FLEET__RETRYBACKOFF"] = "1",
            ["ORCHESTRATOR__FLEET__MAXBANDWIDTH"] = "16MiB/s",
            ["ORCHESTRATOR__CLUSTER__HEARTBEATPAUSE"] = "3",
            ["ORCHESTRATOR__CLUSTER__DOWNAFTER"] = "4",
        };
        if (PostgreSqlStore.FreshConnection() is { } connection)
        {
            environment["ORCHESTRATOR__STORE__PROVIDER"] = "postgresql";
            environment["ORCHESTRATOR__STORE__CONNECTIONSTRING"] = connection;
        }
        return environment;
    }
}

/// <summary>The node running the fleet coordinator dies in the middle of an evacuation.</summary>
[Trait("Category", "Scenario")]
public sealed class FleetFailoverTests(FailoverCluster cluster) : IClassFixture<FailoverCluster>
{
    private static readonly string[] Terminal = ["completed", "failed", "cancelled"];

    [Fact]
    public async Task Killing_the_coordinators_node_mid_evacuation_neither_duplicates_nor_loses_a_vm()
    {
        var coordinator = (string)(await cluster.Get("/fleet/permits"))["coordinator"]!;
        var doomed = int.Parse(coordinator["host".Length..]);
        // The source is another node, and nothing may land on the doomed node: draining it first
        // (an evacuation of a host with no VMs) keeps every move between survivors.
        var source = doomed == 2 ? 3 : 2;
        var api = Enumerable.Range(1, 4).First(n => n != doomed && n != source);
        var vms = Enumerable.Range(1, 8).Select(i => $"fo{i}").ToArray();
        foreach (var vm in vms)
        {
            var (status, body) = await cluster.Send(HttpMethod.Post, "/vms",
                $$"""{"name": "{{vm}}", "host": "host{{source}}", "ram": "32MiB", "vfio": "0", "vgpu": "0", "dirty-rate": "1MiB/s"}""", node: api);
            Assert.True(status == 201, $"create {vm}: {status} {body}");
        }
        var drained = await cluster.Send(HttpMethod.Post, $"/hosts/{coordinator}/evacuate", node: api);
        Assert.True(drained.Status == 202, $"evacuate {coordinator}: {drained.Status} {drained.Body}");
        var started = await cluster.Send(HttpMethod.Post, $"/hosts/host{source}/evacuate", node: api);
        Assert.True(started.Status == 202, $"evacuate host{source}: {started.Status} {started.Body}");
        Assert.Equal(8, started.Body!["moves"]!.AsArray().Count);
        Assert.DoesNotContain(started.Body["moves"]!.AsArray(), m => (string?)m!["to"] == coordinator);

        // Kill the coordinator's node once some migrations finished and others still wait.
        var deadline = DateTime.UtcNow.AddSeconds(60);
        string[] completedBefore;
        while (true)
        {
            var mine = await Migrations(vms, api);
            await CheckInvariants(vms, api);
            completedBefore = mine.Where(m => (string?)m["status"] == "completed").Select(m => (string)m["id"]!).ToArray();
            if (completedBefore.Length >= 2)
            {
                Assert.Contains(mine, m => (string?)m["status"] == "queued");
                break;
            }
            Assert.True(DateTime.UtcNow < deadline, "no migration completed within 60 s");
            await Task.Delay(100);
        }
        cluster.Kill(doomed);

        // The singleton starts on a survivor, recovers the journal and finishes the evacuation.
        deadline = DateTime.UtcNow.AddSeconds(120);
        var unanswered = 0;
        JsonNode[] final;
        while (true)
        {
            await Task.Delay(200);
            var (status, body) = await cluster.Send(HttpMethod.Get, "/migrations", node: api);
            Assert.True(DateTime.UtcNow < deadline, $"evacuation not finished 120 s after the coordinator's node died ({unanswered} polls unanswered)");
            if (status != 200)
            {
                unanswered++; // the coordinator is moving; the API says so rather than guessing
                continue;
            }
            if (!await CheckInvariants(vms, api))
                continue;
            final = body!.AsArray().Where(m => vms.Contains((string?)m!["vm"])).Select(m => m!).ToArray();
            if (vms.All(vm => final.Any(m => (string?)m["vm"] == vm && (string?)m["status"] == "completed")))
                break;
        }

        Assert.NotEqual(coordinator, (string)(await cluster.Get("/fleet/permits", node: api))["coordinator"]!);
        // Durable history: what finished under the old coordinator is still known to the new one.
        Assert.All(completedBefore, id => Assert.Contains(final, m => (string?)m["id"] == id));
        // No duplicate: one completed evacuation per VM, and no second migration ever started for it.
        Assert.All(vms, vm =>
        {
            var records = final.Where(m => (string?)m["vm"] == vm).ToArray();
            Assert.Single(records, m => (string?)m["status"] == "completed");
            Assert.All(records, m => Assert.Equal("evacuation", (string?)m["kind"]));
        });
        // No loss: every VM runs exactly once, on a survivor that is not the evacuated host.
        var listed = (await cluster.Get("/vms", node: api)).AsArray().Where(v => vms.Contains((string?)v!["name"])).ToArray();
        Assert.Equal(vms.Order(), listed.Select(v => (string)v!["name"]!).Order());
        Assert.All(listed, v =>
        {
            Assert.Equal("running", (string?)v!["state"]);
            Assert.NotEqual($"host{source}", (string?)v["host"]);
            Assert.NotEqual(coordinator, (string?)v["host"]);
        });
        var permits = await cluster.Get("/fleet/permits", node: api);
        Assert.Equal(0, (int)permits["held"]!);
        Assert.Equal(0, (int)permits["queued"]!);
    }

    private async Task<JsonNode[]> Migrations(string[] vms, int api) =>
        (await cluster.Get("/migrations", node: api)).AsArray().Where(m => vms.Contains((string?)m!["vm"])).Select(m => m!).ToArray();

    /// <summary>
    /// Every VM listed, running on at most one host, with at most one live migration and permits within
    /// 5/2/2. False when the cluster cannot answer for every host (a node just died): nothing to judge.
    /// </summary>
    private async Task<bool> CheckInvariants(string[] vms, int api)
    {
        var (vmStatus, listed) = await cluster.Send(HttpMethod.Get, "/vms", node: api);
        var (permitStatus, permits) = await cluster.Send(HttpMethod.Get, "/fleet/permits", node: api);
        var (migrationStatus, migrations) = await cluster.Send(HttpMethod.Get, "/migrations", node: api);
        if (vmStatus != 200 || permitStatus != 200 || migrationStatus != 200)
            return false;
        var entries = listed!.AsArray().Select(v => ((string)v!["name"]!, (string)v["state"]!)).ToArray();
        Assert.All(vms, vm =>
        {
            Assert.Contains(entries, e => e.Item1 == vm);
            Assert.True(entries.Count(e => e.Item1 == vm && e.Item2 == "running") <= 1, $"{vm} runs twice");
        });
        Assert.True((int)permits!["held"]! <= 5, $"held {permits["held"]}");
        foreach (var side in new[] { "outbound", "inbound" })
            Assert.All(permits[side]!.AsObject(), host => Assert.True((int)host.Value! <= 2, $"{side} {host.Key}: {host.Value}"));
        var live = migrations!.AsArray().Where(m => !Terminal.Contains((string?)m!["status"])).Select(m => (string)m!["vm"]!).ToArray();
        Assert.Equal(live.Length, live.Distinct().Count());
        return true;
    }
}
