using System.Text.Json.Nodes;
using Xunit;
using Xunit.Abstractions;

namespace Orchestrator.Tests.Cluster;

/// <summary>
/// Three node processes of 256 MiB each. cluster.sh gives every node the same capacity, so a VM too large
/// for any other host is made by filling the other hosts, not by giving them less room.
/// </summary>
public sealed class SmallHostsCluster() : LocalCluster(3, new Dictionary<string, string> { ["CAPACITY"] = "256MiB" });

/// <summary>Evacuating a host that holds a VM no other host can take.</summary>
[Trait("Category", "Scenario")]
public sealed class UnplaceableEvacuationTests(SmallHostsCluster cluster, ITestOutputHelper output) : IClassFixture<SmallHostsCluster>
{
    private const long MiB = 1L << 20;
    private static readonly string[] Small = ["sm1", "sm2", "sm3", "sm4"];
    private static readonly string[] All = ["big", "fill2", "fill3", .. Small];

    private async Task Create(string name, string host, string ram)
    {
        var (status, body) = await cluster.Send(HttpMethod.Post, "/vms",
            $$"""{"name": "{{name}}", "host": "{{host}}", "ram": "{{ram}}", "vfio": "0", "vgpu": "0", "dirty-rate": "1MiB/s"}""");
        Assert.True(status == 201, $"create {name}: {status} {body}");
    }

    /// <summary>
    /// What must hold at every instant of the evacuation: permits within 5/2/2, at most one live migration per VM, never
    /// one of the big VM, every VM listed somewhere and running on at most one host (a handover briefly lists host1's
    /// paused or stopped copy next to the started one), and the VMs that stay listed once, on their host, running.
    /// </summary>
    private async Task CheckInvariants(int poll)
    {
        var permits = await cluster.Get("/fleet/permits");
        Assert.True((int)permits["held"]! <= 5, $"poll {poll}: held {permits["held"]}");
        foreach (var side in new[] { "outbound", "inbound" })
            Assert.All(permits[side]!.AsObject(), host => Assert.True((int)host.Value! <= 2, $"poll {poll}: {side} {host.Key}: {host.Value}"));

        var migrations = (await cluster.Get("/migrations")).AsArray().Select(m => m!).ToArray();
        Assert.DoesNotContain(migrations, m => (string?)m["vm"] == "big");
        var live = migrations.Where(m => (string?)m["status"] is not ("completed" or "failed" or "cancelled")).Select(m => (string)m["vm"]!).ToArray();
        Assert.True(live.Length == live.Distinct().Count(), $"poll {poll}: two live migrations of one VM: {string.Join(", ", live)}");

        var listed = (await cluster.Get("/vms")).AsArray().Select(v => (Name: (string)v!["name"]!, Host: (string)v["host"]!, State: (string)v["state"]!)).ToArray();
        foreach (var vm in Small)
        {
            var copies = listed.Where(l => l.Name == vm).ToArray();
            var shown = $"poll {poll}: {vm} listed as [{string.Join(", ", copies)}]";
            Assert.True(copies.Length is 1 or 2, shown);
            Assert.True(copies.Count(c => c.State == "running") <= 1, shown);
            // Two listings only at the handover: the destination's copy has started, host1's is paused or stopped.
            if (copies.Length == 2)
                Assert.True(copies.Any(c => c.Host == "host1" && c.State != "running") && copies.Any(c => c.Host != "host1"), shown);
        }
        // The VMs that do not move: each exactly once, on its own host, running.
        foreach (var (vm, host) in new[] { ("big", "host1"), ("fill2", "host2"), ("fill3", "host3") })
        {
            var copies = listed.Where(l => l.Name == vm).ToArray();
            Assert.True(copies.Length == 1 && copies[0].Host == host && copies[0].State == "running", $"poll {poll}: {vm} listed as [{string.Join(", ", copies)}]");
        }
    }

    [Fact]
    public async Task A_VM_that_fits_nowhere_is_reported_and_stays_running_while_the_others_move_off()
    {
        // host2 and host3 keep 128 MiB free each; the big VM needs 192 MiB.
        await Create("fill2", "host2", "128MiB");
        await Create("fill3", "host3", "128MiB");
        await Create("big", "host1", "192MiB");
        foreach (var vm in Small)
        {
            await Create(vm, "host1", "8MiB");
            // About two seconds per move, so the evacuation is watched over many polls.
            var (status, body) = await cluster.Send(HttpMethod.Post, $"/vms/{vm}/parameters", """{"max-bandwidth": "4194304"}""");
            Assert.True(status == 200, $"parameters of {vm}: {status} {body}");
        }

        var clock = System.Diagnostics.Stopwatch.StartNew();
        var cli = cluster.Cli("evacuate", "host1", "--wait", "--json");
        var polls = 0;
        var sawMoving = false;
        var seen = "";
        await Eventually.Until(async () =>
        {
            await CheckInvariants(++polls);
            var mine = (await cluster.Get("/migrations")).AsArray().Where(m => Small.Contains((string?)m!["vm"])).ToArray();
            sawMoving |= mine.Any(m => (string?)m!["status"] is not ("queued" or "completed" or "failed" or "cancelled"));
            seen = string.Join(" | ", mine.Select(m => m!.ToJsonString()));
            return cli.IsCompleted && mine.Length == Small.Length && mine.All(m => (string?)m!["status"] is "completed" or "failed" or "cancelled")
                ? seen : null;
        }, TimeSpan.FromSeconds(45), () => $"evacuation still running: {seen}", every: TimeSpan.FromMilliseconds(150));

        output.WriteLine($"evacuation watched for {clock.Elapsed.TotalSeconds:0.0} s over {polls} polls");

        // The CLI's answer: four moves that completed, the big VM unplaceable with the reason, and exit code 1 for it.
        var result = await cli;
        Assert.True(result.ExitCode == 1, $"exit {result.ExitCode}: {result.Stdout}{result.Stderr}");
        var answer = JsonNode.Parse(result.Stdout)!;
        Assert.Equal("host1", (string?)answer["host"]);
        var unplaceable = Assert.Single(answer["unplaceable"]!.AsArray())!;
        Assert.Equal("big", (string?)unplaceable["vm"]);
        Assert.Equal(192 * MiB, (long)unplaceable["size"]!);
        Assert.Equal($"needs {192 * MiB} bytes; the most free on any other host is {128 * MiB} (host2)", (string?)unplaceable["reason"]);
        Assert.Equal(Small.Order(), answer["moves"]!.AsArray().Select(m => (string)m!["vm"]!).Order());
        Assert.DoesNotContain(answer["moves"]!.AsArray(), m => (string?)m!["to"] == "host1");
        Assert.All(answer["results"]!.AsArray(), r => Assert.Equal("completed", (string?)r!["status"]));
        Assert.True(polls >= 5 && sawMoving, $"the evacuation was watched over {polls} polls, moving seen: {sawMoving}");

        // The big VM stays on host1, running, and no migration of it was ever made; each small VM moved once.
        var migrations = (await cluster.Get("/migrations")).AsArray().Select(m => m!).ToArray();
        Assert.DoesNotContain(migrations, m => (string?)m["vm"] == "big");
        Assert.All(Small, vm =>
        {
            var record = Assert.Single(migrations, m => (string?)m["vm"] == vm);
            Assert.Equal(("completed", "evacuation", "host1"), ((string?)record["status"], (string?)record["kind"], (string?)record["source"]));
        });
        var listed = JsonNode.Parse((await cluster.Cli("vm", "list", "--json")).Stdout)!.AsArray()
            .Select(v => (Name: (string)v!["name"]!, Host: (string)v["host"]!, State: (string)v["state"]!)).ToArray();
        Assert.Equal(All.Order(), listed.Select(l => l.Name).Order()); // each exactly once
        Assert.Contains(("big", "host1", "running"), listed);
        Assert.All(listed.Where(l => Small.Contains(l.Name)), l => Assert.True(l.Host != "host1" && l.State == "running", l.ToString()));
        var permits = await cluster.Get("/fleet/permits");
        Assert.Equal((0, 0), ((int)permits["held"]!, (int)permits["queued"]!));

        // host1 is still draining: no VM is created there or migrated back.
        var created = await cluster.Send(HttpMethod.Post, "/vms", """{"name": "late", "host": "host1", "ram": "8MiB", "vfio": "0", "vgpu": "0"}""");
        Assert.Equal(409, created.Status);
        Assert.Contains("host1 is draining", (string?)created.Body!["error"]);
        var back = await cluster.Send(HttpMethod.Post, "/vms/sm1/migrate", """{"to": "host1"}""");
        Assert.Equal(409, back.Status);
        Assert.Contains("host1 is draining", (string?)back.Body!["error"]);
    }
}
