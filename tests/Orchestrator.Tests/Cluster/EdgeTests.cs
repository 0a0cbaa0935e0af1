using Xunit;

namespace Orchestrator.Tests.Cluster;

/// <summary>
/// Requests the API refuses at its edge, asked of every node of three: the VM's own node and two others, whose
/// requests would cross the cluster. The answer must not depend on which node a client talks to.
/// </summary>
[Collection(ThreeNodes.Name)]
[Trait("Category", "Scenario")]
public sealed class EdgeTests(LocalCluster cluster)
{
    [Fact]
    public async Task A_body_too_large_for_the_remoting_frame_gets_the_same_prompt_413_from_every_node_and_changes_nothing()
    {
        await Create("edge-big-vm");
        var huge = $$"""{"downtime-limit": "{{new string('1', 5 << 20)}}"}""";

        foreach (var node in new[] { 1, 2, 3 })
        {
            // Before: the VM's own node answered 400, the others 503 after 5 s (the remoting frame dropped the message).
            var (status, body) = await cluster.Send(HttpMethod.Post, "/vms/edge-big-vm/parameters", huge, node);

            Assert.Equal((413, "The request body is larger than the API's limit of 65536 bytes (64 KiB); nothing was changed"), (status, (string?)body?["error"]));
        }
        await AssertParametersUnchanged("edge-big-vm");
    }

    [Fact]
    public async Task A_duplicated_field_is_a_prompt_400_from_every_node_and_changes_nothing()
    {
        await Create("edge-dup-vm");

        foreach (var node in new[] { 1, 2, 3 })
        {
            var parameters = await cluster.Send(HttpMethod.Post, "/vms/edge-dup-vm/parameters", """{"max-bandwidth":"1000","max-bandwidth":"2000"}""", node);
            var migrate = await cluster.Send(HttpMethod.Post, "/vms/edge-dup-vm/migrate", """{"to":"host2","to":"host3"}""", node);

            Assert.Equal((400, "Malformed JSON body: Duplicate property 'max-bandwidth' encountered during deserialization."), (parameters.Status, (string?)parameters.Body?["error"]));
            Assert.Equal((400, "Malformed JSON body: Duplicate property 'to' encountered during deserialization."), (migrate.Status, (string?)migrate.Body?["error"]));
        }
        await AssertParametersUnchanged("edge-dup-vm");
        Assert.Equal("{}", (await cluster.Get("/vms/edge-dup-vm/migration")).ToJsonString());
    }

    [Fact]
    public async Task A_value_out_of_range_gets_QEMUs_text_from_every_node()
    {
        await Create("edge-range-vm");

        foreach (var node in new[] { 1, 2, 3 })
        {
            var (status, body) = await cluster.Send(HttpMethod.Post, "/vms/edge-range-vm/parameters",
                $$"""{"downtime-limit": "{{new string('9', 60_000)}}"}""", node);

            Assert.Equal((400, "Parameter 'downtime-limit' expects an integer in the range of 0 to 2000000 ms"), (status, (string?)body?["error"]));
        }
        await AssertParametersUnchanged("edge-range-vm");
    }

    [Fact]
    public async Task A_VM_larger_than_its_host_gets_the_capacity_conflict_naming_the_sizes()
    {
        var (status, body) = await cluster.Send(HttpMethod.Post, "/vms",
            """{"name": "edge-huge-vm", "host": "host2", "ram": "5TiB", "vfio": "0", "vgpu": "0"}""", node: 3);

        Assert.Equal(409, status);
        Assert.Matches(@"^Not enough free capacity on host host2: VM 'edge-huge-vm' needs 5497558138880 bytes, \d+ of 2147483648 are free$", (string?)body!["error"]);
        Assert.DoesNotContain((await cluster.Get("/vms")).AsArray(), vm => (string?)vm!["name"] == "edge-huge-vm");
    }

    private async Task Create(string name)
    {
        var (status, body) = await cluster.Send(HttpMethod.Post, "/vms",
            $$"""{"name": "{{name}}", "host": "host1", "ram": "16MiB", "vfio": "0", "vgpu": "0"}""");
        Assert.True(status == 201, $"create {name}: {status} {body}");
    }

    /// <summary>An empty change answers every parameter: still QEMU's defaults.</summary>
    private async Task AssertParametersUnchanged(string vm)
    {
        var (status, parameters) = await cluster.Send(HttpMethod.Post, $"/vms/{vm}/parameters", "{}", node: 3);
        Assert.Equal(200, status);
        Assert.Equal((300L, 134217728L), ((long)parameters!["downtime-limit"]!, (long)parameters["max-bandwidth"]!));
    }
}
