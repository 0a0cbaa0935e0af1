using Xunit;

namespace Orchestrator.Tests.Cluster;

/// <summary>A cluster of its own: this test stops one of its nodes.</summary>
[Trait("Category", "Scenario")]
public sealed class NodeShutdownTests(LocalCluster cluster) : IClassFixture<LocalCluster>
{
    [Fact]
    public async Task A_node_asked_to_stop_cancels_its_outgoing_migrations_and_says_so()
    {
        var (created, _) = await cluster.Send(HttpMethod.Post, "/vms",
            """{"name": "home-vm", "host": "host1", "ram": "256MiB", "vfio": "0", "vgpu": "0"}""", node: 2);
        Assert.Equal(201, created);
        var (started, _) = await cluster.Send(HttpMethod.Post, "/vms/home-vm/migrate", """{"to": "host3", "parameters": {"max-bandwidth": "4194304"}}""", node: 2);
        Assert.Equal(202, started);
        await Eventually.Until(async () => (string?)(await cluster.Get("/vms/home-vm/migration", node: 2))["status"] == "active",
            TimeSpan.FromSeconds(30), "the migration becomes active");

        await cluster.Terminate(1);

        var log = cluster.Log(1);
        Assert.Contains("Node stopping: cancelled 1 outgoing migration(s) (home-vm); those VMs stay on this host", log);
        Assert.Contains("rolled back: cancelled by the source; source VM running", log);
        // The destination discarded its half-loaded twin: the VM never ran there.
        var vms = (await cluster.Get("/vms", node: 3)).AsArray();
        Assert.DoesNotContain(vms, vm => (string?)vm!["name"] == "home-vm");
    }
}
