using System.Diagnostics;
using System.Text.Json.Nodes;
using Xunit;
using Xunit.Abstractions;

namespace Orchestrator.Tests.Cluster;

/// <summary>Three node processes whose fleet admits one migration at a time in the whole cluster.</summary>
public sealed class SinglePermitCluster() : LocalCluster(3, new Dictionary<string, string> { ["ORCHESTRATOR__FLEET__PERCLUSTER"] = "1" });

/// <summary>A user migration and an evacuation migration waiting for the same, single permit.</summary>
[Trait("Category", "Scenario")]
public sealed class PermitPriorityTests(SinglePermitCluster cluster, ITestOutputHelper output) : IClassFixture<SinglePermitCluster>
{
    private static bool IsTerminal(string? status) => status is "completed" or "failed" or "cancelled";

    /// <summary>Holding a permit: admitted and not yet at its end.</summary>
    private static bool Holds(string? status) => status is not null and not "queued" && !IsTerminal(status);

    private async Task Create(string name, string host, string ram)
    {
        var (status, body) = await cluster.Send(HttpMethod.Post, "/vms",
            $$"""{"name": "{{name}}", "host": "{{host}}", "ram": "{{ram}}", "vfio": "0", "vgpu": "0", "dirty-rate": "1MiB/s"}""");
        Assert.True(status == 201, $"create {name}: {status} {body}");
    }

    private async Task<JsonObject> Migrate(string vm, string to, string maxBandwidth)
    {
        var (status, body) = await cluster.Send(HttpMethod.Post, $"/vms/{vm}/migrate",
            $$$"""{"to": "{{{to}}}", "parameters": {"max-bandwidth": "{{{maxBandwidth}}}"}}""");
        Assert.True(status == 202, $"migrate {vm}: {status} {body}");
        return body!.AsObject();
    }

    /// <summary>The status of each migration, by id, as one answer of GET /migrations shows them.</summary>
    private async Task<Dictionary<string, string>> Statuses(params string[] ids)
    {
        var records = (await cluster.Get("/migrations")).AsArray();
        return ids.ToDictionary(id => id, id => (string?)records.FirstOrDefault(m => (string?)m!["id"] == id)?["status"] ?? "absent");
    }

    [Fact]
    public async Task When_the_only_permit_frees_up_the_evacuation_goes_before_the_user_migration_queued_earlier()
    {
        await Create("long", "host1", "64MiB");
        await Create("mine", "host2", "16MiB");
        await Create("leaving", "host3", "16MiB");
        // About two seconds each for the two waiting migrations, so each is seen running over several polls.
        var (set, parameters) = await cluster.Send(HttpMethod.Post, "/vms/leaving/parameters", """{"max-bandwidth": "8388608"}""");
        Assert.True(set == 200, $"parameters of leaving: {set} {parameters}");

        // The single permit goes to a migration of several seconds (64 MiB at 4 MiB/s, zero pages sent as markers).
        var running = await Migrate("long", "host2", "4194304");
        Assert.Equal("setup", (string?)running["status"]);
        // A user migration asked for now waits...
        var user = await Migrate("mine", "host1", "8388608");
        Assert.Equal("queued", (string?)user["status"]);
        // ...and so does the evacuation's, asked for later.
        var (evacuated, plan) = await cluster.Send(HttpMethod.Post, "/hosts/host3/evacuate");
        Assert.True(evacuated == 202, $"evacuate: {evacuated} {plan}");
        var move = Assert.Single(plan!["moves"]!.AsArray())!;
        Assert.Equal("leaving", (string?)move["vm"]);
        Assert.Empty(plan["unplaceable"]!.AsArray());
        var evacuation = (await cluster.Get("/migrations")).AsArray()
            .Single(m => (string?)m!["vm"] == "leaving" && (string?)m["kind"] == "evacuation")!;
        var (longId, userId, evacuationId) = ((string)running["id"]!, (string)user["id"]!, (string)evacuation["id"]!);
        var first = await Statuses(longId, userId, evacuationId);
        Assert.True(Holds(first[longId]) && first[userId] == "queued" && first[evacuationId] == "queued",
            $"the long migration must still hold the permit while both others wait: {string.Join(", ", first)}");

        var clock = Stopwatch.StartNew();
        var deadline = DateTime.UtcNow.AddSeconds(45);
        int? evacuationLeftQueue = null, userLeftQueue = null;
        var polls = 0;
        var observed = new List<string>();
        string? lastState = null;
        var sawEvacuationAlone = false;
        while (true)
        {
            var permits = await cluster.Get("/fleet/permits");
            var statuses = await Statuses(longId, userId, evacuationId);
            polls++;
            var state = $"long={statuses[longId]} evacuation={statuses[evacuationId]} user={statuses[userId]} held={permits["held"]}";
            if (state != lastState)
                observed.Add($"{clock.Elapsed.TotalSeconds,5:0.0}s {state}");
            lastState = state;
            var history = string.Join("\n", observed);

            Assert.Equal(1, (int)permits["limits"]!["cluster"]!);
            Assert.True((int)permits["held"]! <= 1, $"poll {polls}: {permits["held"]} permits held\n{history}");
            Assert.True(statuses.Values.Count(Holds) <= 1, $"poll {polls}: two migrations hold a permit at once\n{history}");
            if (statuses[evacuationId] != "queued")
                Assert.True(IsTerminal(statuses[longId]), $"poll {polls}: the evacuation started before the permit came back\n{history}");
            if (statuses[userId] != "queued")
                Assert.True(IsTerminal(statuses[evacuationId]), $"poll {polls}: the user migration started before the evacuation's ended\n{history}");
            if (statuses[evacuationId] != "queued")
                evacuationLeftQueue ??= polls;
            if (statuses[userId] != "queued")
                userLeftQueue ??= polls;
            sawEvacuationAlone |= Holds(statuses[evacuationId]) && statuses[userId] == "queued";

            if (statuses.Values.All(IsTerminal))
                break;
            Assert.True(DateTime.UtcNow < deadline, $"still migrating after 45 s\n{history}");
            await Task.Delay(100);
        }
        output.WriteLine(string.Join("\n", observed));

        var final = await Statuses(longId, userId, evacuationId);
        Assert.All(final, s => Assert.Equal("completed", s.Value));
        // The evacuation left the queue first, and was seen holding the permit while the user migration still waited.
        Assert.True(evacuationLeftQueue < userLeftQueue, $"evacuation left the queue at poll {evacuationLeftQueue}, the user migration at {userLeftQueue}");
        Assert.True(sawEvacuationAlone, $"the evacuation was never seen running while the user migration waited\n{string.Join("\n", observed)}");
        var vms = (await cluster.Get("/vms")).AsArray().ToDictionary(v => (string)v!["name"]!, v => (string)v!["host"]!);
        Assert.Equal(("host2", "host1"), (vms["long"], vms["mine"]));
        Assert.NotEqual("host3", vms["leaving"]);
        var permitsAfter = await cluster.Get("/fleet/permits");
        Assert.Equal((0, 0), ((int)permitsAfter["held"]!, (int)permitsAfter["queued"]!));
    }
}
