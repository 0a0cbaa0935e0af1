using System.Text.Json.Nodes;
using Orchestrator.Actors.Migration;
using Orchestrator.Cli;
using Orchestrator.Output;
using Xunit;

namespace Orchestrator.Tests.Cli;

/// <summary>
/// The fleet commands (evacuate, evacuate-cancel, undrain, migrations) and migrate's queued answers, against a fake API:
/// the requests sent, what is printed, the exit codes, and the --wait loops over scripted answers.
/// </summary>
public sealed class FleetCommandsTests : ClientCommandTests
{
    private const string Plan = """
        {"host": "host1",
         "moves": [{"vm": "vm1", "from": "host1", "to": "host2", "size": 419430400},
                   {"vm": "vm2", "from": "host1", "to": "host3", "size": 268435456}],
         "unplaceable": []}
        """;

    private const string PlanWithUnplaceable = """
        {"host": "host1",
         "moves": [{"vm": "vm1", "from": "host1", "to": "host2", "size": 419430400}],
         "unplaceable": [{"vm": "big", "size": 9663676416, "reason": "needs 9663676416 bytes; the most free on any other host is 8589934592 (host2)"}]}
        """;

    private const string Permits = """
        {"held": 2, "limits": {"cluster": 5, "outbound": 2, "inbound": 2}, "outbound": {"host1": 2}, "inbound": {"host2": 1, "host3": 1}, "queued": 0}
        """;

    /// <summary>One GET /migrations entry.</summary>
    private static string M(string id, string vm, string status, string kind = "evacuation", string? reason = null, string source = "host1") =>
        new JsonObject
        {
            ["id"] = id,
            ["vm"] = vm,
            ["source"] = source,
            ["destination"] = "host2",
            ["status"] = status,
            ["transferred"] = 104857600,
            ["remaining"] = 52428800,
            ["iteration"] = 3,
            ["percent"] = 66,
            ["reason"] = reason,
            ["kind"] = kind,
        }.ToJsonString();

    private static string List(params string[] entries) => $"[{string.Join(",", entries)}]";

    private static string[] ProgressLines(string stdout) =>
        stdout.Split('\n').Where(l => l.StartsWith('[')).Select(l => l.TrimEnd('\r')).ToArray();

    [Fact]
    public async Task Evacuate_posts_to_the_host_and_prints_the_moves_and_the_VMs_that_stay()
    {
        Api.On("POST", "/hosts/host1/evacuate", 202, PlanWithUnplaceable);

        var run = await Run("evacuate", "host1");

        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.Equal(("POST", "/hosts/host1/evacuate", ""), (Single().Method, Single().Path, Single().Body));
        Assert.Contains("Evacuating host1", run.Stdout);
        Assert.Matches(@"(?m)^  vm1\s+host1\s+host2\s+400\.0 MiB$", run.Stdout);
        Assert.Contains("  big (9.0 GiB) stays running on host1: needs 9663676416 bytes; the most free on any other host is 8589934592 (host2)",
            run.Stdout);
    }

    [Fact]
    public async Task Evacuate_json_without_wait_is_the_API_answer()
    {
        Api.On("POST", "/hosts/host1/evacuate", 202, PlanWithUnplaceable);

        var run = await Run("evacuate", "host1", "--json");

        Assert.Equal(0, run.ExitCode);
        AssertJson(PlanWithUnplaceable, run.Stdout);
    }

    [Fact]
    public async Task Evacuate_wait_follows_this_evacuations_moves_to_their_end_and_exits_0_when_all_completed()
    {
        // "old" is an earlier evacuation's move of vm1, listed before this one starts: it must not count as vm1's move.
        var old = M("old", "vm1", "completed");
        Api.On("POST", "/hosts/host1/evacuate", 202, Plan)
            .On("GET", "/fleet/permits", 200, Permits)
            .On("GET", "/migrations", 200,
                List(old),                                                            // before the evacuation
                List(M("a", "vm1", "queued"), old),                                   // vm2 not listed yet: queued
                List(M("b", "vm2", "queued"), M("a", "vm1", "active"), old),
                List(M("b", "vm2", "queued"), M("a", "vm1", "active"), old),          // no change: no line
                List(M("b", "vm2", "active"), M("a", "vm1", "completed"), old),
                List(M("b", "vm2", "completed"), M("a", "vm1", "completed"), old));

        var run = await Run("evacuate", "host1", "--wait");

        Assert.True(run.ExitCode == 0, run.Stdout + run.Stderr);
        Assert.Equal(["GET /migrations", "POST /hosts/host1/evacuate"], Api.Requests.Take(2).Select(r => $"{r.Method} {r.Path}"));
        Assert.Equal(6, Api.Requests.Count(r => r.Path == "/migrations"));
        var lines = ProgressLines(run.Stdout);
        Assert.Equal(4, lines.Length);
        Assert.Matches(@"^\[\s+\d+\.\ds\] 0/2 completed, 0 running, 2 queued, 0 failed \| permits 2/5 held, host1 outbound 2/2, 0 queued$", lines[0]);
        Assert.EndsWith("0/2 completed, 1 running, 1 queued, 0 failed | permits 2/5 held, host1 outbound 2/2, 0 queued", lines[1]);
        Assert.Contains("1/2 completed, 1 running, 0 queued, 0 failed", lines[2]);
        Assert.Contains("2/2 completed, 0 running, 0 queued, 0 failed", lines[3]);
        Assert.Contains("Evacuation of host1: 2 of 2 moves completed", run.Stdout);
    }

    [Fact]
    public async Task Evacuate_wait_json_prints_one_object_with_the_results_and_exits_1_when_a_move_failed_or_a_VM_stays()
    {
        Api.On("POST", "/hosts/host1/evacuate", 202, PlanWithUnplaceable)
            .On("GET", "/fleet/permits", 200, Permits)
            .On("GET", "/migrations", 200,
                "[]",
                List(M("a", "vm1", "active")),
                List(M("a", "vm1", "failed", reason: "destination: connection lost")));

        var run = await Run("evacuate", "host1", "--wait", "--json");

        Assert.Equal(1, run.ExitCode);
        var plan = JsonNode.Parse(PlanWithUnplaceable)!;
        AssertJson(new JsonObject
        {
            ["host"] = "host1",
            ["moves"] = plan["moves"]!.DeepClone(),
            ["unplaceable"] = plan["unplaceable"]!.DeepClone(),
            ["results"] = new JsonArray(new JsonObject { ["vm"] = "vm1", ["status"] = "failed", ["reason"] = "destination: connection lost" }),
        }.ToJsonString(), run.Stdout);
    }

    [Fact]
    public async Task Evacuate_wait_exits_1_when_a_VM_is_unplaceable_even_if_every_move_completed()
    {
        Api.On("POST", "/hosts/host1/evacuate", 202, PlanWithUnplaceable)
            .On("GET", "/fleet/permits", 200, Permits)
            .On("GET", "/migrations", 200, "[]", List(M("a", "vm1", "completed"), M("u", "vm1", "cancelled", kind: "user")));

        var run = await Run("evacuate", "host1", "--wait");

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("Evacuation of host1: 1 of 1 move completed, 1 VM(s) unplaceable", run.Stdout);
        Assert.Contains("big (9.0 GiB) stays running on host1", run.Stdout.Split("Evacuation of host1:")[1]);
    }

    [Fact]
    public async Task Evacuate_wait_counts_cancelled_moves_and_exits_1()
    {
        Api.On("POST", "/hosts/host1/evacuate", 202, Plan)
            .On("GET", "/fleet/permits", 200, Permits)
            .On("GET", "/migrations", 200, "[]",
                List(M("b", "vm2", "cancelled", reason: "evacuation of host1 cancelled"), M("a", "vm1", "completed")));

        var run = await Run("evacuate", "host1", "--wait");

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("1/2 completed, 0 running, 0 queued, 0 failed, 1 cancelled", run.Stdout);
        Assert.Contains("  vm2 cancelled: evacuation of host1 cancelled", run.Stdout);
    }

    [Fact]
    public async Task Evacuate_shows_the_APIs_error_with_exit_1()
    {
        Api.On("POST", "/hosts/host1/evacuate", 409, """{"error": "Host 'host1' is already being evacuated"}""");

        var run = await Run("evacuate", "host1");

        Assert.Equal(1, run.ExitCode);
        Assert.Equal("Host 'host1' is already being evacuated", run.Stderr.Trim());
        Assert.Equal("", run.Stdout);
    }

    [Theory]
    [InlineData(false, "evacuate-cancel", "host1")]
    [InlineData(true, "evacuate-cancel", "host1", "--abort-running")]
    public async Task Evacuate_cancel_sends_abort_running(bool abort, params string[] args)
    {
        Api.On("POST", "/hosts/host1/evacuate-cancel", 200, "{}");

        var run = await Run(args);

        Assert.Equal(0, run.ExitCode);
        Assert.Equal(("POST", "/hosts/host1/evacuate-cancel"), (Single().Method, Single().Path));
        AssertJson($$"""{"abort-running": {{(abort ? "true" : "false")}}}""", Single().Body);
        Assert.Contains("evacuate-cancel sent for host1", run.Stdout);
    }

    [Fact]
    public async Task Undrain_posts_to_the_host()
    {
        Api.On("POST", "/hosts/host%201/undrain", 200, "{}");

        var run = await Run("undrain", "host 1");

        Assert.Equal(0, run.ExitCode);
        Assert.Equal(("POST", "/hosts/host%201/undrain"), (Single().Method, Single().Path));
        Assert.Equal("host 1 accepts VMs again", run.Stdout.Trim());
    }

    [Theory]
    [InlineData("Missing host name", "evacuate")]
    [InlineData("Unexpected argument 'host2'", "evacuate", "host1", "host2")]
    [InlineData("Unknown option '--abort'", "evacuate-cancel", "host1", "--abort")]
    [InlineData("Missing host name", "evacuate-cancel")]
    [InlineData("Missing host name", "undrain")]
    [InlineData("Unexpected argument 'x'", "migrations", "x")]
    [InlineData("Unknown option '--wait'", "migrations", "--wait")]
    public async Task Bad_arguments_exit_2_and_send_nothing(string message, params string[] args)
    {
        var run = await Run(args);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains(message, run.Stderr);
        Assert.Empty(Api.Requests);
    }

    [Fact]
    public async Task Migrations_prints_a_table_with_sizes_and_percent()
    {
        Api.On("GET", "/migrations", 200, List(M("3f2a9c0e1b4d", "vm1", "active"), M("0123456789ab", "vm2", "failed", "user", "no permit")));

        var run = await Run("migrations");

        Assert.Equal(0, run.ExitCode);
        var lines = run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Matches(@"^ID\s+VM\s+SOURCE\s+DESTINATION\s+STATUS\s+PERCENT\s+TRANSFERRED\s+REMAINING\s+ITERATION\s+KIND\s+REASON$", lines[0].TrimEnd());
        Assert.Matches(@"^3f2a9c0e1b4d\s+vm1\s+host1\s+host2\s+active\s+66%\s+100\.0 MiB\s+50\.0 MiB\s+3\s+evacuation\s+-$", lines[1].TrimEnd());
        Assert.Matches(@"^0123456789ab\s+vm2\s+host1\s+host2\s+failed\s+66%.*user\s+no permit$", lines[2].TrimEnd());
    }

    [Fact]
    public async Task Migrations_json_is_the_array_the_API_returned_and_an_empty_list_says_so()
    {
        var body = List(M("3f2a9c0e1b4d", "vm1", "queued"));
        Api.On("GET", "/migrations", 200, body, "[]");

        var json = await Run("migrations", "--json");
        var empty = await Run("migrations");

        Assert.Equal(0, json.ExitCode);
        AssertJson(body, json.Stdout);
        Assert.StartsWith("no migrations", empty.Stdout);
    }

    [Fact]
    public async Task Migrate_says_when_the_migration_waits_for_a_permit()
    {
        Api.On("POST", "/vms/vm1/migrate", 202, """{"id": "3f2a9c0e1b4d", "vm": "vm1", "source": "host1", "destination": "host2", "status": "queued"}""");

        var run = await Run("migrate", "vm1", "--to", "host2");

        Assert.Equal(0, run.ExitCode);
        Assert.Contains("Migration 3f2a9c0e1b4d of vm1 queued (waiting for a permit): host1 -> host2", run.Stdout);
    }

    [Fact]
    public async Task Migrate_wait_keeps_polling_while_queued_and_ignores_the_VMs_older_migration()
    {
        var queued = """{"id": "3f2a9c0e1b4d", "status": "queued", "source": "host1", "destination": "host2"}""";
        Api.On("POST", "/vms/vm1/migrate", 202, """{"id": "3f2a9c0e1b4d", "vm": "vm1", "source": "host1", "destination": "host2", "status": "queued"}""")
            .On("GET", "/vms/vm1/migration", 200,
                """{"id": "0123456789ab", "status": "queued", "source": "host1", "destination": "host3"}""", // an older one, not ours
                Json(Info("0123456789ab", MigrationStatus.Failed)),
                queued,
                queued,
                Json(Info("3f2a9c0e1b4d", MigrationStatus.Active)),
                Json(Info("3f2a9c0e1b4d", MigrationStatus.Completed)));

        var run = await Run("migrate", "vm1", "--to", "host2", "--wait");

        Assert.True(run.ExitCode == 0, run.Stdout + run.Stderr);
        Assert.Contains("Migration 3f2a9c0e1b4d of vm1: host1 -> host2, queued (waiting for a permit)", run.Stdout);
        var lines = ProgressLines(run.Stdout);
        Assert.Equal("[queued] waiting for a permit: host1 -> host2", Assert.Single(lines, l => l.StartsWith("[queued]")));
        Assert.Single(lines, l => l.Contains(" active "));
        Assert.Contains("Migration 3f2a9c0e1b4d: completed", run.Stdout);
        Assert.Equal(6, Api.Requests.Count(r => r.Path == "/vms/vm1/migration"));
    }

    private static string Json(MigrationInfo info) => QueryMigrateJson.Render(info);

    private static MigrationInfo Info(string id, MigrationStatus status) => new(
        new MigrationId(id), DateTimeOffset.UnixEpoch, status, TotalTime: 3100, SetupTime: 1544,
        Downtime: status == MigrationStatus.Completed ? 83 : null, ExpectedDowntime: 99, ErrorDesc: null, CpuThrottlePercentage: 0,
        new RamInfo(80L << 20, 0, 256L << 20, 0, 0, 0, 0, 1388.4, 3, 4096, 0, 0, 0),
        [new DeviceInfo("ram", "ram", 80L << 20, 0, "not-needed", null, 32, 32, null, null)],
        SourceVm: "running", DestinationVm: "paused", Verified: status == MigrationStatus.Completed,
        PendingAcks: 0, Transferred: 100L << 20, Remaining: 0, Mbps: 1388.4);
}
