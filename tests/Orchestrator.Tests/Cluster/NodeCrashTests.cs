using System.Text.Json.Nodes;
using Xunit;

namespace Orchestrator.Tests.Cluster;

/// <summary>A cluster of its own: this test kills one of its nodes.</summary>
[Trait("Category", "Scenario")]
public sealed class NodeCrashTests(LocalCluster cluster) : IClassFixture<LocalCluster>
{
    [Fact]
    public async Task Kill_9_of_the_destination_in_precopy_fails_the_migration_and_the_VM_keeps_running_at_its_source()
    {
        var (created, _) = await cluster.Send(HttpMethod.Post, "/vms",
            """{"name": "crash-vm", "host": "host1", "ram": "256MiB", "vfio": "32MiB", "vgpu": "0", "dirty-rate": "8MiB/s"}""");
        Assert.Equal(201, created);
        var (started, _) = await cluster.Send(HttpMethod.Post, "/vms/crash-vm/migrate", """{"to": "host2", "parameters": {"max-bandwidth": "8388608"}}""");
        Assert.Equal(202, started);
        await Until(info => (string?)info["status"] == "active" && (long)info["transferred"]! > 0);

        cluster.Kill(2);
        var failed = await Until(info => (string?)info["status"] is "failed" or "cancelled" or "completed");

        Assert.True((string?)failed["status"] == "failed", failed.ToJsonString());
        Assert.Contains("destination", (string?)failed["error-desc"]);
        Assert.Equal("running", (string?)failed["source-vm"]);
        var vm = await cluster.Get("/vms/crash-vm");
        Assert.Equal(("host1", "running"), ((string?)vm["host"], (string?)vm["state"]));

        var (again, admitted) = await cluster.Send(HttpMethod.Post, "/vms/crash-vm/migrate", """{"to": "host3", "parameters": {"max-bandwidth": "0"}}""");
        Assert.Equal(202, again);
        var second = (string)admitted!["id"]!;
        var completed = await Until(info => (string?)info["status"] is "failed" or "cancelled" or "completed", second);
        if ((string?)completed["status"] != "completed")
            Assert.Fail($"{completed.ToJsonString()}\n{Trail(second)}");
        Assert.Equal("host3", (string?)(await cluster.Get("/vms/crash-vm"))["host"]);
    }

    private Task<JsonObject> Until(Func<JsonObject, bool> done, string? migration = null)
    {
        JsonObject? info = null;
        return Eventually.Until(async () => done(info = (await cluster.Get("/vms/crash-vm/migration")).AsObject()) ? info : null,
            TimeSpan.FromSeconds(90), () => $"still {(string?)info?["status"]}: {info?.ToJsonString()}\n{Trail(migration)}", TimeSpan.FromMilliseconds(100));
    }

    /// <summary>The migration's own log lines on every node (its ack trail among them), and what the cluster and remoting did meanwhile.</summary>
    private string Trail(string? migration) =>
        cluster.LogLines([.. migration is null ? [] : new[] { migration }, "UNREACHABLE", "as [Down]", "removing", "gated", "Disassociated", "not delivered", "Quarantin", "quarantin"]);
}
