using System.Text.RegularExpressions;
using Xunit;

namespace Orchestrator.Tests.Cluster;

/// <summary>
/// Three hosts in their own network namespaces; the link between host1 and host2 drops a share of its
/// packets at random (netem where the kernel has it, an nftables rule where it does not). TCP resends
/// what is lost: the migration is slower, never wrong.
/// </summary>
[Trait("Category", "Scenario")]
public sealed partial class LossyLinkTests(LossyLinkTests.Cluster cluster) : IClassFixture<LossyLinkTests.Cluster>
{
    /// <summary>Three hosts, started only where a link can be made to lose packets.</summary>
    public sealed class Cluster() : NetnsCluster(3, null, "loss");

    [NetnsFact("loss")]
    public async Task A_migration_over_a_link_that_drops_3_percent_of_packets_completes_verified_and_packets_were_really_dropped()
    {
        await cluster.SlowLink(1, 2, loss: "3%");
        try
        {
            var (created, body) = await cluster.Send(HttpMethod.Post, "/vms",
                """{"name": "lossy-vm", "host": "host1", "ram": "32MiB", "vfio": "8MiB", "vgpu": "0", "vfio-alloc": 300, "dirty-rate": "256KiB/s"}""");
            Assert.True(created == 201, $"create: {created} {body}");
            var (started, _) = await cluster.Send(HttpMethod.Post, "/vms/lossy-vm/migrate", """{"to": "host2", "parameters": {"max-bandwidth": "0"}}""");
            Assert.Equal(202, started);

            var final = await cluster.UntilMigrationEnded("lossy-vm", TimeSpan.FromSeconds(120));
            var status = await cluster.Status();

            Assert.True((string?)final["status"] == "completed", final.ToJsonString());
            Assert.True((bool)final["verified"]!);
            Assert.Equal(("host2", "running"), ((string?)(await cluster.Get("/vms/lossy-vm"))["host"], (string?)(await cluster.Get("/vms/lossy-vm"))["state"]));
            // The fault was real: with nftables, each side's rule counts the packets it dropped on their way to the other.
            var dropped = Dropped().Matches(status).Select(m => long.Parse(m.Groups[1].Value)).ToArray();
            if (status.Contains("through netem"))
                Assert.Contains("through netem (loss 3%);", status);
            else
                Assert.True(dropped.Length == 2 && dropped.Sum() > 0, status);
        }
        finally
        {
            await cluster.ClearLink(1, 2);
        }
        var cleared = await cluster.Status();
        Assert.DoesNotContain("drops packets", cleared);
        Assert.DoesNotContain("netem", cleared);
    }

    [GeneratedRegex(@"drops packets at random \((\d+) so far\)")]
    private static partial Regex Dropped();
}
