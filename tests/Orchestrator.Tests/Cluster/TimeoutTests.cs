using System.Text.Json.Nodes;
using Xunit;

namespace Orchestrator.Tests.Cluster;

/// <summary>A cluster whose fleet gives up on a migration after 3 s without progress and retries after 1 s.</summary>
public sealed class ImpatientCluster() : LocalCluster(3, new Dictionary<string, string>
{
    ["ORCHESTRATOR__FLEET__PROGRESSTIMEOUT"] = "3",
    ["ORCHESTRATOR__FLEET__RETRYBACKOFF"] = "1",
});

/// <summary>A guest that dirties memory faster than the link can carry it never converges on its own.</summary>
[Trait("Category", "Scenario")]
public sealed class TimeoutTests(ImpatientCluster cluster) : IClassFixture<ImpatientCluster>
{
    private async Task<JsonObject> MigrateHot(string vm, string action, string? timeout = null)
    {
        var (created, body) = await cluster.Send(HttpMethod.Post, "/vms",
            $$"""{"name": "{{vm}}", "host": "host1", "ram": "128MiB", "vfio": "0", "vgpu": "0", "dirty-rate": "64MiB/s"}""");
        Assert.True(created == 201, body?.ToJsonString());
        var timed = timeout is null ? "" : $$""", "timeout": "{{timeout}}" """;
        var (started, admitted) = await cluster.Send(HttpMethod.Post, $"/vms/{vm}/migrate",
            $$$"""{"to": "host2", "timeout-action": "{{{action}}}"{{{timed}}}, "parameters": {"max-bandwidth": "8388608"}}""");
        Assert.True(started == 202, admitted?.ToJsonString());
        return await Until(vm, records => records.FirstOrDefault(r =>
            (string?)r["id"] == (string?)admitted!["id"] && (string?)r["status"] is "completed" or "failed" or "cancelled"), within: 90);
    }

    [Fact]
    public async Task On_abort_the_progress_timeout_cancels_the_migration_and_the_VM_stays_on_its_source()
    {
        var record = await MigrateHot("hot-abort", "abort");

        Assert.Equal("cancelled", (string?)record["status"]);
        Assert.Contains("progress timeout (3 s without a drop in remaining bytes) expired: migration aborted, the VM stays on host1", (string?)record["reason"]);
        // query-migrate names the same cause, not QEMU's 'cancelled by request', and the record does not say it twice.
        var info = await cluster.Get("/vms/hot-abort/migration");
        Assert.Equal("progress timeout (3 s without a drop in remaining bytes) expired: migration aborted, the VM stays on host1", (string?)info["error-desc"]);
        Assert.Equal((string?)info["error-desc"], (string?)record["reason"]);
        var vm = await cluster.Get("/vms/hot-abort");
        Assert.Equal(("host1", "running"), ((string?)vm["host"], (string?)vm["state"]));
    }

    [Fact]
    public async Task A_migrations_own_timeout_aborts_it_before_the_fleets_and_the_VM_stays_on_its_source()
    {
        var record = await MigrateHot("hot-timed", "abort", timeout: "1s");

        Assert.Equal("cancelled", (string?)record["status"]);
        Assert.Equal("completion timeout (1 s, migrate --timeout) expired: migration aborted, the VM stays on host1", (string?)record["reason"]);
        var vm = await cluster.Get("/vms/hot-timed");
        Assert.Equal(("host1", "running"), ((string?)vm["host"], (string?)vm["state"]));
    }

    [Fact]
    public async Task On_pause_the_progress_timeout_stops_the_guest_and_the_migration_converges()
    {
        var record = await MigrateHot("hot-pause", "pause");

        Assert.Equal("completed", (string?)record["status"]);
        Assert.Contains("guest paused so the migration converges", (string?)record["reason"]);
        var vm = await cluster.Get("/vms/hot-pause");
        Assert.Equal(("host2", "running"), ((string?)vm["host"], (string?)vm["state"]));
    }

    [Fact]
    public async Task A_failed_evacuation_migration_is_tried_again_until_it_completes()
    {
        // Destinations without switchover-ack refuse the VF's INIT_DATA_SENT: the first attempt fails.
        var (created, body) = await cluster.Send(HttpMethod.Post, "/vms",
            """{"name": "retry-vm", "host": "host3", "ram": "16MiB", "vfio": "8MiB", "vgpu": "0", "vfio-alloc": 100, "dirty-rate": "1MiB/s"}""");
        Assert.True(created == 201, body?.ToJsonString());
        foreach (var host in new[] { "host1", "host2" })
            await SetSwitchoverAck(host, false);
        Assert.Equal(202, (await cluster.Send(HttpMethod.Post, "/hosts/host3/evacuate")).Status);

        var failed = await Until("retry-vm", records => records.FirstOrDefault(r => (string?)r["status"] == "failed"));
        Assert.Contains("Received INIT_DATA_SENT but switchover ack is not used", (string?)failed["reason"]);
        Assert.Equal("evacuation", (string?)failed["kind"]);
        foreach (var host in new[] { "host1", "host2" })
            await SetSwitchoverAck(host, true);

        var completed = await Until("retry-vm", records => records.FirstOrDefault(r => (string?)r["status"] == "completed"));
        Assert.NotEqual((string?)failed["id"], (string?)completed["id"]);
        Assert.NotEqual("host3", (string?)(await cluster.Get("/vms/retry-vm"))["host"]);
        await cluster.Send(HttpMethod.Post, "/hosts/host3/undrain");
    }

    [Fact]
    public async Task An_evacuation_migration_aborted_by_its_timeout_is_tried_again_until_the_evacuation_is_cancelled()
    {
        var (created, body) = await cluster.Send(HttpMethod.Post, "/vms",
            """{"name": "stuck-vm", "host": "host3", "ram": "64MiB", "vfio": "0", "vgpu": "0", "dirty-rate": "64MiB/s"}""");
        Assert.True(created == 201, body?.ToJsonString());
        Assert.Equal(200, (await cluster.Send(HttpMethod.Post, "/vms/stuck-vm/parameters", """{"max-bandwidth": "8388608"}""")).Status);
        Assert.Equal(202, (await cluster.Send(HttpMethod.Post, "/hosts/host3/evacuate")).Status);

        var aborted = await Until("stuck-vm", records => records.FirstOrDefault(r => (string?)r["status"] == "cancelled"));
        Assert.Contains("progress timeout (3 s without a drop in remaining bytes) expired: migration aborted, the VM stays on host3", (string?)aborted["reason"]);
        // It ended far from done, and its record says so: not the 99% that "nothing remaining" would make.
        Assert.True((long)aborted["remaining"]! > 0 && (int)aborted["percent"]! < 90, aborted.ToJsonString());
        // The host still has to be emptied: a new attempt follows the backoff.
        var again = await Until("stuck-vm", records => records.FirstOrDefault(r => (string?)r["id"] != (string?)aborted["id"]));
        Assert.Equal("evacuation", (string?)again["kind"]);

        Assert.Equal(200, (await cluster.Send(HttpMethod.Post, "/hosts/host3/evacuate-cancel", """{"abort-running": true}""")).Status);
        await Until("stuck-vm", records => records.All(r => (string?)r["status"] is "completed" or "failed" or "cancelled") ? records[0] : null);
        var vm = await cluster.Get("/vms/stuck-vm");
        Assert.Equal(("host3", "running"), ((string?)vm["host"], (string?)vm["state"]));
        // No attempt after the cancel: the record count stays put for longer than the next backoff (2 s).
        var count = (await Records("stuck-vm")).Length;
        await Task.Delay(TimeSpan.FromSeconds(4));
        Assert.Equal(count, (await Records("stuck-vm")).Length);
        Assert.Equal(200, (await cluster.Send(HttpMethod.Post, "/hosts/host3/undrain")).Status);
        Assert.Equal(204, (await cluster.Send(HttpMethod.Delete, "/vms/stuck-vm")).Status);
    }

    private async Task SetSwitchoverAck(string host, bool on)
    {
        // Refused while a migration lands there: try again shortly.
        var last = "";
        await Eventually.Until(
            async () =>
            {
                var (status, body) = await cluster.Send(HttpMethod.Post, $"/hosts/{host}/capabilities", $$"""{"switchover-ack": {{(on ? "true" : "false")}}}""");
                last = $"{status} {body}";
                return status == 200 ? last : null;
            },
            TimeSpan.FromSeconds(30),
            () => $"capabilities of {host}: {last}");
    }

    private async Task<JsonObject[]> Records(string vm) =>
        (await cluster.Get("/migrations")).AsArray().Select(m => m!.AsObject()).Where(m => (string?)m["vm"] == vm).ToArray();

    private Task<JsonObject> Until(string vm, Func<JsonObject[], JsonObject?> pick, int within = 60)
    {
        JsonObject[] records = [];
        return Eventually.Until(async () => pick(records = await Records(vm)), TimeSpan.FromSeconds(within),
            () => $"{vm}: {string.Join(" | ", records.Select(r => r.ToJsonString()))}");
    }
}
