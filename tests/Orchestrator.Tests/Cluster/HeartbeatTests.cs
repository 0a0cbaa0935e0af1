using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Xunit;

namespace Orchestrator.Tests.Cluster;

/// <summary>
/// Three hosts in their own network namespaces. The link between host1 and host2 is slowed to a
/// rate the migration saturates: heartbeats then queue behind chunks on the one association
/// between the two nodes, and the failure detector must not take that for a dead node.
/// </summary>
[Trait("Category", "Scenario")]
public sealed class HeartbeatTests(NetnsCluster cluster) : IClassFixture<NetnsCluster>
{
    private const string UnreachableLine = "Marking node(s) as UNREACHABLE";

    [NetnsFact("rate")]
    public async Task A_migration_saturating_a_20_mbit_link_makes_no_member_unreachable_and_completes_verified()
    {
        await cluster.SlowLink(1, 2, rate: "20mbit");
        try
        {
            var (created, body) = await cluster.Send(HttpMethod.Post, "/vms",
                """{"name": "hb-vm", "host": "host1", "ram": "40MiB", "vfio": "8MiB", "vgpu": "0", "vfio-alloc": 300, "dirty-rate": "256KiB/s"}""");
            Assert.True(created == 201, $"create: {created} {body}");
            var logsBefore = Enumerable.Range(1, cluster.Nodes).Select(n => cluster.Log(n).Length).ToArray();
            var seen = new ConcurrentBag<(int Observer, string Host, string Status)>();
            using var stop = new CancellationTokenSource();
            var watchers = Enumerable.Range(1, cluster.Nodes).Select(n => Watch(n, seen, stop.Token)).ToArray();

            // max-bandwidth unlimited: the link, not the migration, sets the pace.
            var (started, _) = await cluster.Send(HttpMethod.Post, "/vms/hb-vm/migrate", """{"to": "host2", "parameters": {"max-bandwidth": "0"}}""");
            Assert.Equal(202, started);
            var final = await cluster.UntilMigrationEnded("hb-vm", TimeSpan.FromSeconds(120));
            await stop.CancelAsync();
            await Task.WhenAll(watchers);

            Assert.True((string?)final["status"] == "completed", final.ToJsonString());
            Assert.True((bool)final["verified"]!);
            // Every non-zero page of RAM (zero pages cost a header) and the whole VF went over the slow link.
            var ram = final["ram"]!;
            var nonZeroRam = (long)ram["total"]! - (long)ram["duplicate"]! * 4096;
            Assert.True((long)final["transferred"]! >= nonZeroRam + (8L << 20),
                $"the migration moved the VM's state over the slow link: {final["transferred"]} bytes, {nonZeroRam} of them non-zero RAM");
            Assert.Equal("host2", (string?)(await cluster.Get("/vms/hb-vm"))["host"]);
            // Every node was asked over and over during the whole migration; none ever saw a member unreachable.
            Assert.All(Enumerable.Range(1, cluster.Nodes), n => Assert.Contains(seen, s => s.Observer == n));
            Assert.DoesNotContain(seen, s => s.Status != "up");
            var unreachableLines = Enumerable.Range(1, cluster.Nodes)
                .SelectMany(n => cluster.Log(n)[logsBefore[n - 1]..].Split('\n').Where(l => l.Contains(UnreachableLine)).Select(l => $"host{n}: {l.Trim()}"))
                .ToArray();
            Assert.Empty(unreachableLines);
        }
        finally
        {
            await cluster.ClearLink(1, 2);
        }
    }

    [NetnsFact]
    public async Task A_partition_makes_both_sides_unreachable_and_healing_it_brings_them_back_before_anyone_is_downed()
    {
        await cluster.Partition(1, 2);
        try
        {
            // host3 sees both; host1 and host2 each see the other unreachable (heartbeat pause 8 s).
            await Until(async () =>
            {
                var hosts = await Statuses(3);
                return hosts["host1"] == "unreachable" || hosts["host2"] == "unreachable";
            }, TimeSpan.FromSeconds(30), "host3 never saw host1 or host2 unreachable");
        }
        finally
        {
            await cluster.Heal(1, 2);
        }

        await Until(async () => (await Statuses(3)).Values.All(s => s == "up"), TimeSpan.FromSeconds(30), "not every host is up again after the heal");
        Assert.Equal(["host1", "host2", "host3"], (await Statuses(1)).Where(h => h.Value == "up").Select(h => h.Key));
        Assert.Contains(UnreachableLine, cluster.Log(1) + cluster.Log(2));
    }

    private async Task<Dictionary<string, string>> Statuses(int node) =>
        (await cluster.Get("/hosts", node)).AsArray().ToDictionary(h => (string)h!["name"]!, h => (string)h!["status"]!);

    private async Task Watch(int node, ConcurrentBag<(int, string, string)> seen, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            foreach (var (host, status) in await Statuses(node))
                seen.Add((node, host, status));
            try
            {
                await Task.Delay(250, stop);
            }
            catch (OperationCanceledException)
            {
            }
        }
    }

    private static Task Until(Func<Task<bool>> condition, TimeSpan limit, string failure) =>
        Eventually.Until(condition, limit, failure, TimeSpan.FromMilliseconds(250));
}
