using System.Text.Json.Nodes;
using Xunit;

namespace Orchestrator.Tests.Cluster;

[CollectionDefinition(Name)]
public sealed class ThreeNodes : ICollectionFixture<LocalCluster>
{
    public const string Name = "three node processes";
}

/// <summary>Three real node processes on 127.0.0.1, driven through the CLI and the HTTP API.</summary>
[Collection(ThreeNodes.Name)]
[Trait("Category", "Scenario")]
public sealed class ClusterTests(LocalCluster cluster)
{
    private static string Body(params (string Key, object Value)[] fields)
    {
        var json = new JsonObject();
        foreach (var (key, value) in fields)
            json[key] = JsonValue.Create(value);
        return json.ToJsonString();
    }

    private Task<JsonObject> UntilEnded(string vm, Action<JsonObject>? observe = null)
    {
        JsonObject? last = null;
        return Eventually.Until(async () =>
        {
            last = (await cluster.Get($"/vms/{vm}/migration")).AsObject();
            observe?.Invoke(last);
            return (string?)last["status"] is "completed" or "failed" or "cancelled" ? last : null;
        }, TimeSpan.FromSeconds(90), () => $"migration of {vm} still {(string?)last?["status"]}", TimeSpan.FromMilliseconds(100));
    }

    private async Task Create(string name, string host, string ram = "32MiB", string vfio = "16MiB", string vgpu = "4MiB", string dirty = "4MiB/s")
    {
        var (status, body) = await cluster.Send(HttpMethod.Post, "/vms",
            Body(("name", name), ("host", host), ("ram", ram), ("vfio", vfio), ("vgpu", vgpu), ("vfio-alloc", 300), ("dirty-rate", dirty)));
        Assert.True(status == 201, $"create {name}: {status} {body}");
    }

    [Fact]
    public async Task Hosts_lists_every_node_up_with_its_capacity_through_the_API_and_the_CLI()
    {
        var hosts = (await cluster.Get("/hosts")).AsArray();
        var cli = await cluster.Cli("hosts", "--json");

        Assert.Equal(["host1", "host2", "host3"], hosts.Select(h => (string)h!["name"]!));
        Assert.All(hosts, h =>
        {
            Assert.Equal("up", (string?)h!["status"]);
            Assert.Equal(2L << 30, (long)h["capacity"]!);
            Assert.StartsWith("akka.tcp://orchestrator@127.0.0.1:", (string?)h["address"]);
        });
        Assert.True(cli.ExitCode == 0, cli.Stderr);
        Assert.Equal(["host1", "host2", "host3"], JsonNode.Parse(cli.Stdout)!.AsArray().Select(h => (string)h!["name"]!));
    }

    [Fact]
    public async Task A_VM_created_and_migrated_through_the_CLI_runs_on_its_destination()
    {
        var create = await cluster.Cli("vm", "create", "cli-vm", "--host", "host1", "--ram", "32MiB", "--vfio", "16MiB", "--vgpu", "4MiB", "--vfio-alloc", "300");
        Assert.True(create.ExitCode == 0, create.Stderr);

        var migrate = await cluster.Cli("migrate", "cli-vm", "--to", "host2", "--wait", "--json");

        Assert.True(migrate.ExitCode == 0, migrate.Stdout + migrate.Stderr);
        var final = JsonNode.Parse(migrate.Stdout)!;
        Assert.Equal("completed", (string?)final["status"]);
        Assert.True((bool)final["verified"]!);
        var shown = JsonNode.Parse((await cluster.Cli("vm", "show", "cli-vm", "--json")).Stdout)!;
        Assert.Equal(("host2", "running"), ((string?)shown["host"], (string?)shown["state"]));
        var query = JsonNode.Parse((await cluster.Cli("query-migrate", "cli-vm", "--json")).Stdout)!;
        Assert.Equal("completed", (string?)query["status"]);
        Assert.Equal((string?)final["id"], (string?)query["id"]);
    }

    [Fact]
    public async Task A_migration_started_through_the_API_is_followed_with_query_migrate_on_any_node()
    {
        await Create("api-vm", "host3", ram: "64MiB");
        var standing = (await cluster.Get("/vms/api-vm", node: 2))["migration-settings"]!;
        Assert.Equal((true, 134217728L), ((bool)standing["capabilities"]!["switchover-ack"]!, (long)standing["parameters"]!["max-bandwidth"]!));
        var (status, started) = await cluster.Send(HttpMethod.Post, "/vms/api-vm/migrate",
            """{"to": "host1", "parameters": {"max-bandwidth": "33554432"}}""", node: 2);
        Assert.Equal(202, status);
        Assert.Equal(("host3", "host1"), ((string?)started!["source"], (string?)started["destination"]));
        var seen = new List<(string Status, long Transferred)>();

        var final = await UntilEnded("api-vm", info => seen.Add(((string)info["status"]!, (long?)info["transferred"] ?? 0)));

        Assert.Equal("completed", (string?)final["status"]);
        Assert.Equal((string?)started["id"], (string?)final["id"]);
        Assert.Contains(seen, s => s.Status == "active");
        Assert.All(seen.Zip(seen.Skip(1), (a, b) => (First: a, Second: b)), p => Assert.True(p.Second.Transferred >= p.First.Transferred, "transferred never goes back"));
        Assert.Equal("host1", (string?)(await cluster.Get("/vms/api-vm", node: 3))["host"]);
    }

    [Fact]
    public async Task Every_error_is_clear_has_a_4xx_status_and_changes_nothing()
    {
        await Create("err-vm", "host1", ram: "256MiB", vfio: "0", vgpu: "0");
        var before = (await cluster.Get("/vms")).ToJsonString();

        var unknownVm = await cluster.Send(HttpMethod.Post, "/vms/nope/migrate", """{"to": "host2"}""");
        var unknownHost = await cluster.Send(HttpMethod.Post, "/vms/err-vm/migrate", """{"to": "host9"}""");
        var ownHost = await cluster.Send(HttpMethod.Post, "/vms/err-vm/migrate", """{"to": "host1"}""");
        var taken = await cluster.Send(HttpMethod.Post, "/vms", Body(("name", "err-vm"), ("host", "host2"), ("ram", "8MiB")));
        var badSize = await cluster.Send(HttpMethod.Post, "/vms", Body(("name", "bad"), ("host", "host2"), ("ram", "12XB")));
        var tooBig = await cluster.Send(HttpMethod.Post, "/vms", Body(("name", "huge"), ("host", "host2"), ("ram", "3GiB"), ("vfio", "0"), ("vgpu", "0")));
        var badParameter = await cluster.Send(HttpMethod.Post, "/vms/err-vm/parameters", """{"downtime-limit": "2000001"}""");
        var badCapability = await cluster.Send(HttpMethod.Post, "/hosts/host2/capabilities", """{"return-path": false}""");
        var after = (await cluster.Get("/vms")).ToJsonString();

        Assert.Equal((404, "VM 'nope' not found"), (unknownVm.Status, (string?)unknownVm.Body!["error"]));
        Assert.Equal((404, "Host 'host9' not found"), (unknownHost.Status, (string?)unknownHost.Body!["error"]));
        Assert.Equal(409, ownHost.Status);
        Assert.Contains("already runs on host host1", (string?)ownHost.Body!["error"]);
        Assert.Equal((409, "VM 'err-vm' already exists on host host1"), (taken.Status, (string?)taken.Body!["error"]));
        Assert.Equal(400, badSize.Status);
        Assert.Contains("Invalid size '12XB'", (string?)badSize.Body!["error"]);
        Assert.Equal(409, tooBig.Status);
        Assert.Contains("Not enough free capacity on host host2", (string?)tooBig.Body!["error"]);
        Assert.Equal((400, "Parameter 'downtime-limit' expects an integer in the range of 0 to 2000000 ms"), (badParameter.Status, (string?)badParameter.Body!["error"]));
        Assert.Equal((400, "Capability 'switchover-ack' requires capability 'return-path'"), (badCapability.Status, (string?)badCapability.Body!["error"]));
        Assert.Equal(before, after);

        // A second migrate of a VM already migrating: QEMU's text, through the CLI.
        var first = await cluster.Send(HttpMethod.Post, "/vms/err-vm/migrate", """{"to": "host2", "parameters": {"max-bandwidth": "4194304"}}""");
        Assert.Equal(202, first.Status);
        var second = await cluster.Cli("migrate", "err-vm", "--to", "host3");
        Assert.Equal(1, second.ExitCode);
        Assert.Contains("There's a migration process in progress", second.Stderr);
        Assert.Equal(200, (await cluster.Send(HttpMethod.Post, "/vms/err-vm/migration/cancel")).Status);
        Assert.Equal("cancelled", (string?)(await UntilEnded("err-vm"))["status"]);
        Assert.Equal("host1", (string?)(await cluster.Get("/vms/err-vm"))["host"]);

        var cliUnknown = await cluster.Cli("vm", "show", "nope");
        var cliBadSize = await cluster.Cli("vm", "create", "bad", "--host", "host1", "--ram", "lots");
        var unreachable = await Cli.OrchestratorProcess.Run(TimeSpan.FromSeconds(60), "hosts", "--api", "http://127.0.0.1:1");
        Assert.Equal(1, cliUnknown.ExitCode);
        Assert.Contains("VM 'nope' not found", cliUnknown.Stderr);
        Assert.Equal(2, cliBadSize.ExitCode);
        Assert.Contains("--ram", cliBadSize.Stderr);
        Assert.NotEqual(0, unreachable.ExitCode);
        Assert.Contains("http://127.0.0.1:1", unreachable.Stderr);
    }

    [Fact]
    public async Task A_VM_deleted_and_created_again_under_its_old_name_migrates_like_any_other()
    {
        await Create("again-vm", "host1", vfio: "0", vgpu: "0");
        Assert.Equal(202, (await cluster.Send(HttpMethod.Post, "/vms/again-vm/migrate", """{"to": "host2"}""")).Status);
        Assert.Equal("completed", (string?)(await UntilEnded("again-vm"))["status"]);
        Assert.Equal(204, (await cluster.Send(HttpMethod.Delete, "/vms/again-vm")).Status);

        // Created again: the ledger records it above the epoch its name reached, so its own commit is not stale.
        await Create("again-vm", "host3", vfio: "0", vgpu: "0");
        var created = await cluster.Get("/vms/again-vm");
        Assert.Equal(202, (await cluster.Send(HttpMethod.Post, "/vms/again-vm/migrate", """{"to": "host1"}""", node: 2)).Status);
        var final = await UntilEnded("again-vm");

        Assert.Equal(("host3", 3L), ((string?)created["host"], (long)created["epoch"]!));
        Assert.True((string?)final["status"] == "completed", final.ToJsonString());
        var vm = await cluster.Get("/vms/again-vm");
        Assert.Equal(("host1", "running", 4L), ((string?)vm["host"], (string?)vm["state"], (long)vm["epoch"]!));
        Assert.Equal(4L, (long)(await cluster.Get("/vms/again-vm/owner"))["epoch"]!);
    }

    [Fact]
    public async Task Concurrent_creates_of_one_name_on_different_hosts_make_exactly_one_VM()
    {
        // Six creates at once, through all three nodes' APIs, each for a different host in turn.
        var answers = await Task.WhenAll(Enumerable.Range(0, 6).Select(i => cluster.Send(HttpMethod.Post, "/vms",
            Body(("name", "race-vm"), ("host", $"host{i % 3 + 1}"), ("ram", "16MiB"), ("vfio", "0"), ("vgpu", "0")), node: i % 3 + 1)));

        var made = Assert.Single(answers, a => a.Status == 201);
        Assert.All(answers.Where(a => a.Status != 201), a =>
        {
            Assert.Equal(409, a.Status);
            var error = (string)a.Body!["error"]!;
            Assert.True(error.StartsWith("VM 'race-vm' already exists on host ") ||
                        error == "VM 'race-vm' was not created: another create of VM 'race-vm' is in progress; try again when it has finished", error);
        });
        var copies = (await cluster.Get("/vms")).AsArray().Where(v => (string?)v!["name"] == "race-vm").ToArray();
        Assert.Equal((string?)made.Body!["host"], (string?)Assert.Single(copies)!["host"]);
    }

    [Fact]
    public async Task Migrate_set_parameters_changes_max_bandwidth_mid_flight_and_the_measured_rate_follows()
    {
        await Create("bw-vm", "host2", ram: "256MiB", vfio: "0", vgpu: "0", dirty: "0");
        var limit = 4L << 20;
        var (status, _) = await cluster.Send(HttpMethod.Post, "/vms/bw-vm/migrate", $$$"""{"to": "host3", "parameters": {"max-bandwidth": "{{{limit}}}"}}""");
        Assert.Equal(202, status);
        await Task.Delay(1500);
        var a = await Sample();
        await Task.Delay(2000);
        var b = await Sample();
        var slow = (b.Bytes - a.Bytes) / (b.At - a.At).TotalSeconds;

        var set = await cluster.Cli("migrate-set-parameters", "bw-vm", $"max-bandwidth={16 * limit}");
        Assert.True(set.ExitCode == 0, set.Stderr);
        var c = await Sample();
        await Task.Delay(2000);
        var d = await Sample();
        var fast = (d.Bytes - c.Bytes) / (d.At - c.At).TotalSeconds;

        // Bytes per second measured here, before and after, not a wall-clock bound on the run.
        Assert.True(slow < 2 * limit, $"{slow:0} B/s under a {limit} B/s limit");
        Assert.True(fast > 3 * slow, $"raising the limit 16x moved the rate from {slow:0} to {fast:0} B/s");
        await cluster.Send(HttpMethod.Post, "/vms/bw-vm/migration/cancel");
        await UntilEnded("bw-vm");

        async Task<(DateTime At, long Bytes)> Sample()
        {
            var info = await cluster.Get("/vms/bw-vm/migration");
            return (DateTime.UtcNow, (long)info["transferred"]!);
        }
    }
}
