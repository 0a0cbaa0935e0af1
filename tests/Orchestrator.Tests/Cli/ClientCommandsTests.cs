using System.Text.Json.Nodes;
using Orchestrator.Actors.Migration;
using Orchestrator.Cli;
using Orchestrator.Output;
using Xunit;

namespace Orchestrator.Tests.Cli;

/// <summary>
/// The client commands against a fake API: the request each command sends, what it prints, and its exit code.
/// </summary>
public sealed class ClientCommandsTests : ClientCommandTests
{
    private const string Hosts = """
        [{"name": "host1", "address": "akka.tcp://orchestrator@127.0.0.1:4053", "status": "up", "capacity": 8589934592, "used": 402653184, "vms": 2},
         {"name": "host2", "address": "akka.tcp://orchestrator@127.0.0.1:4054", "status": "joining", "capacity": 8589934592, "used": 0, "vms": 0}]
        """;

    private const string Vm = """
        {"name": "vm1", "host": "host1", "state": "running", "ram": 268435456,
         "devices": [{"name": "ram", "kind": "ram", "size": 268435456}, {"name": "0000:17:00.2", "kind": "vfio", "size": 314572800}]}
        """;

    private const string Started = """{"id": "3f2a9c0e1b4d", "vm": "vm1", "source": "host1", "destination": "host2"}""";

    [Fact]
    public async Task Hosts_prints_a_table_with_sizes_in_binary_units()
    {
        Api.On("GET", "/hosts", 200, Hosts);

        var run = await Run("hosts");

        Assert.Equal(0, run.ExitCode);
        Assert.Equal(("GET", "/hosts"), (Single().Method, Single().Path));
        var lines = run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, lines.Length);
        Assert.StartsWith("NAME ", lines[0]);
        Assert.Matches(@"^host1\s+up\s+8\.0 GiB\s+384\.0 MiB\s+2\s+akka\.tcp://orchestrator@127\.0\.0\.1:4053$", lines[1]);
        Assert.Matches(@"^host2\s+joining\s+8\.0 GiB\s+0 B\s+0\s+", lines[2]);
    }

    [Fact]
    public async Task Hosts_json_is_the_array_the_API_returned()
    {
        Api.On("GET", "/hosts", 200, Hosts);

        var run = await Run("hosts", "--json");

        Assert.Equal(0, run.ExitCode);
        AssertJson(Hosts, run.Stdout);
    }

    [Fact]
    public async Task Vm_create_parses_sizes_on_the_client_and_sends_byte_counts()
    {
        Api.On("POST", "/vms", 201, Vm);

        var run = await Run("vm", "create", "vm1", "--host", "host1", "--ram", "256MiB", "--vfio", "300MiB", "--vfio-alloc", "1.5s",
            "--vgpu", "0", "--dirty-rate", "32MiB/s");

        Assert.Equal(0, run.ExitCode);
        var request = Single();
        Assert.Equal(("POST", "/vms"), (request.Method, request.Path));
        AssertJson("""{"name": "vm1", "host": "host1", "ram": 268435456, "vfio": 314572800, "vfio-alloc": 1500, "vgpu": 0, "dirty-rate": 33554432}""",
            request.Body);
        Assert.Contains("VM vm1 created", run.Stdout);
        Assert.Contains("VM vm1: running on host1, RAM 256.0 MiB", run.Stdout);
    }

    [Fact]
    public async Task Vm_create_leaves_unset_sizes_to_the_node()
    {
        Api.On("POST", "/vms", 201, Vm);

        var run = await Run("vm", "create", "vm1", "--host", "host1");

        Assert.Equal(0, run.ExitCode);
        AssertJson("""{"name": "vm1", "host": "host1"}""", Single().Body);
    }

    [Theory]
    [InlineData("Invalid size '12XB' for --ram", "--ram", "12XB")]
    [InlineData("Invalid size 'big' for --vfio", "--vfio", "big")]
    [InlineData("Invalid size '-1' for --vgpu", "--vgpu", "-1")]
    [InlineData("Invalid duration 'soon' for --vfio-alloc", "--vfio-alloc", "soon")]
    [InlineData("Invalid rate 'fast' for --dirty-rate", "--dirty-rate", "fast")]
    [InlineData("--ram must be larger than 0", "--ram", "0")]
    [InlineData("--ram must be a multiple of 4 KiB (4096 bytes), a whole number of pages: 1000000 bytes is not; use 1003520 or 999424 bytes", "--ram", "1000000")]
    [InlineData("--ram must be a multiple of 4 KiB (4096 bytes), a whole number of pages: 1536 bytes is not; use 4096 bytes", "--ram", "1.5KiB")]
    [InlineData("Unknown option '--ramm'", "--ramm", "1")]
    public async Task Vm_create_with_a_bad_option_exits_2_naming_it_and_sends_nothing(string message, string option, string value)
    {
        var run = await Run("vm", "create", "vm1", "--host", "host1", option, value);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains(message, run.Stderr);
        Assert.Equal("", run.Stdout);
        Assert.Empty(Api.Requests);
    }

    [Theory]
    [InlineData("Missing option --host", "vm", "create", "vm1")]
    [InlineData("Missing VM name", "vm", "create", "--host", "host1")]
    [InlineData("Unexpected argument 'vm2'", "vm", "show", "vm1", "vm2")]
    [InlineData("Missing vm subcommand", "vm")]
    [InlineData("Unknown vm subcommand 'start'", "vm", "start", "vm1")]
    [InlineData("Missing option --to", "migrate", "vm1")]
    [InlineData("Missing VM name", "query-migrate")]
    [InlineData("Unknown command 'migrate-now'", "migrate-now", "vm1")]
    [InlineData("Option --api needs a value", "hosts", "--api")]
    public async Task Missing_or_extra_arguments_exit_2_and_send_nothing(string message, params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = await ClientCommands.Run(args[0], [.. args[1..], .. args[^1] == "--api" ? Array.Empty<string>() : ["--api", Api.Url]],
            stdout, stderr, CancellationToken.None);

        Assert.Equal(2, code);
        Assert.Contains(message, stderr.ToString());
        Assert.Empty(Api.Requests);
    }

    [Fact]
    public async Task Vm_list_prints_one_row_per_vm_with_its_devices_besides_ram()
    {
        Api.On("GET", "/vms", 200, $"[{Vm}]");

        var run = await Run("vm", "list");

        Assert.Equal(0, run.ExitCode);
        Assert.Matches(@"(?m)^vm1\s+host1\s+running\s+256\.0 MiB\s+0000:17:00\.2 vfio 300\.0 MiB$", run.Stdout);
    }

    [Fact]
    public async Task Vm_list_json_is_the_array_the_API_returned()
    {
        Api.On("GET", "/vms", 200, $"[{Vm}]");

        var run = await Run("vm", "list", "--json");

        Assert.Equal(0, run.ExitCode);
        AssertJson($"[{Vm}]", run.Stdout);
    }

    [Fact]
    public async Task Names_are_escaped_in_the_path()
    {
        Api.On("GET", "/vms/a%20b%2Fc%3F", 200, Vm);

        var run = await Run("vm", "show", "a b/c?", "--json");

        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.Equal("/vms/a%20b%2Fc%3F", Single().Path);
        AssertJson(Vm, run.Stdout);
    }

    [Fact]
    public async Task Vm_show_lists_the_devices()
    {
        Api.On("GET", "/vms/vm1", 200, Vm);

        var run = await Run("vm", "show", "vm1");

        Assert.Equal(0, run.ExitCode);
        Assert.Contains("VM vm1: running on host1, RAM 256.0 MiB", run.Stdout);
        Assert.Matches(@"(?m)^  0000:17:00\.2\s+vfio\s+300\.0 MiB$", run.Stdout);
    }

    [Fact]
    public async Task Vm_show_lists_the_standing_migration_settings()
    {
        var vm = System.Text.Json.Nodes.JsonNode.Parse(Vm)!.AsObject();
        vm["migration-settings"] = System.Text.Json.Nodes.JsonNode.Parse("""
            {"capabilities": {"return-path": true, "switchover-ack": true, "pause-before-switchover": false, "auto-converge": false},
             "parameters": {"downtime-limit": 300, "max-bandwidth": 134217728, "switchover-ack-timeout": 60000}}
            """);
        Api.On("GET", "/vms/vm1", 200, vm.ToJsonString());

        var run = await Run("vm", "show", "vm1");

        Assert.Equal(0, run.ExitCode);
        Assert.Contains("  migration capabilities: return-path,switchover-ack", run.Stdout);
        Assert.Contains("  migration parameters:   downtime-limit=300 max-bandwidth=134217728 switchover-ack-timeout=60000", run.Stdout);
    }

    [Fact]
    public async Task Vm_delete_sends_delete_and_accepts_204()
    {
        Api.On("DELETE", "/vms/vm1", 204);

        var run = await Run("vm", "delete", "vm1");

        Assert.Equal(0, run.ExitCode);
        Assert.Equal("DELETE", Single().Method);
        Assert.Equal("VM vm1 deleted", run.Stdout.Trim());
    }

    [Fact]
    public async Task An_API_error_goes_to_stderr_as_its_message_with_exit_1()
    {
        Api.On("DELETE", "/vms/vm1", 409, """{"error": "There's a migration process in progress"}""");

        var run = await Run("vm", "delete", "vm1");

        Assert.Equal(1, run.ExitCode);
        Assert.Equal("There's a migration process in progress", run.Stderr.Trim());
        Assert.Equal("", run.Stdout);
    }

    [Fact]
    public async Task An_error_without_a_JSON_body_still_names_the_status()
    {
        Api.On("GET", "/hosts", 502, "<html>Bad Gateway</html>");

        var run = await Run("hosts");

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("GET /hosts: HTTP 502", run.Stderr);
    }

    [Fact]
    public async Task An_unreachable_API_names_the_URL_tried_and_what_to_do()
    {
        var url = $"http://127.0.0.1:{FakeApi.FreePort()}";
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();

        var code = await ClientCommands.Run("hosts", ["--api", url], stdout, stderr, CancellationToken.None);

        Assert.Equal(1, code);
        Assert.Contains($"cannot reach the Orchestrator API at {url} (connection refused)", stderr.ToString());
        Assert.Contains("start a node with 'orchestrator node' or point --api / ORCHESTRATOR_API at one", stderr.ToString());
    }

    [Fact]
    public void The_API_URL_comes_from_the_option_then_the_environment_then_the_default()
    {
        Assert.Equal("http://a:1", ApiClient.ResolveUrl("http://a:1/", "http://b:2"));
        Assert.Equal("http://b:2", ApiClient.ResolveUrl(null, "http://b:2"));
        Assert.Equal("http://127.0.0.1:8080", ApiClient.ResolveUrl(null, ""));
        Assert.Contains("Invalid API URL 'localhost:8080' from ORCHESTRATOR_API",
            Assert.Throws<UsageException>(() => ApiClient.ResolveUrl(null, "localhost:8080")).Message);
    }

    [Fact]
    public async Task Migrate_sends_the_destination_capabilities_and_parameters_and_prints_the_started_migration()
    {
        Api.On("POST", "/vms/vm1/migrate", 202, Started);

        var run = await Run("migrate", "vm1", "--to", "host2", "--capabilities", "return-path", "--downtime-limit", "500",
            "--max-bandwidth", "0", "--switchover-ack-timeout", "0");

        Assert.Equal(0, run.ExitCode);
        AssertJson("""
            {"to": "host2", "capabilities": "return-path",
             "parameters": {"downtime-limit": "500", "max-bandwidth": "0", "switchover-ack-timeout": "0"}}
            """, Single().Body);
        Assert.Contains("Migration 3f2a9c0e1b4d of vm1 started: host1 -> host2", run.Stdout);
    }

    [Fact]
    public async Task Migrate_timeout_and_its_action_go_to_the_fleet_as_virshs_timeout_and_timeout_suspend()
    {
        Api.On("POST", "/vms/vm1/migrate", 202, Started);

        var run = await Run("migrate", "vm1", "--to", "host2", "--timeout", "2min", "--timeout-action", "pause");

        Assert.Equal(0, run.ExitCode);
        AssertJson("""{"to": "host2", "timeout": "2min", "timeout-action": "pause"}""", Single().Body);
    }

    [Theory]
    [InlineData("Invalid --timeout '0': use a positive duration, seconds (30 or 30s), minutes (2min) or milliseconds (500ms)", "--timeout", "0")]
    [InlineData("Invalid --timeout 'soon': use a positive duration, seconds (30 or 30s), minutes (2min) or milliseconds (500ms)", "--timeout", "soon")]
    [InlineData("Invalid --timeout-action 'suspend': use abort or pause", "--timeout-action", "suspend")]
    public async Task Migrate_timeout_input_is_checked_before_any_request_with_exit_2(string message, string option, string value)
    {
        var run = await Run("migrate", "vm1", "--to", "host2", option, value);

        Assert.Equal((2, message), (run.ExitCode, run.Stderr.Trim()));
        Assert.Empty(Api.Requests);
    }

    [Fact]
    public async Task Migrate_json_without_wait_prints_the_API_answer()
    {
        Api.On("POST", "/vms/vm1/migrate", 202, Started);

        var run = await Run("migrate", "vm1", "--to", "host2", "--json");

        Assert.Equal(0, run.ExitCode);
        AssertJson("""{"to": "host2"}""", Single().Body);
        AssertJson(Started, run.Stdout);
    }

    [Theory]
    [InlineData("Capability 'switchover-ack' requires capability 'return-path'", "--capabilities", "switchover-ack")]
    [InlineData("Parameter 'capability' does not accept value 'turbo'", "--capabilities", "return-path,turbo")]
    [InlineData("Parameter 'downtime-limit' expects an integer in the range of 0 to 2000000 ms", "--downtime-limit", "2000001")]
    [InlineData("Parameter 'max-bandwidth' expects an integer in the range of 0 to", "--max-bandwidth", "-1")]
    [InlineData("Parameter 'switchover-ack-timeout' expects an integer in the range of 0 to 86400000 ms", "--switchover-ack-timeout", "1e3")]
    public async Task Migrate_checks_capabilities_and_parameters_as_the_demo_does_before_any_request(string message, string option, string value)
    {
        var run = await Run("migrate", "vm1", "--to", "host2", option, value, "--wait");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains(message, run.Stderr);
        Assert.Empty(Api.Requests);
    }

    [Fact]
    public async Task Migrate_wait_json_prints_only_the_final_query_migrate_and_exits_0_when_completed()
    {
        var completed = Info("3f2a9c0e1b4d", MigrationStatus.Completed);
        Api.On("POST", "/vms/vm1/migrate", 202, Started)
            .On("GET", "/vms/vm1/migration", 200,
                Json(Info("0123456789ab", MigrationStatus.Completed)), // the VM's previous migration, until the new one shows
                Json(Info("3f2a9c0e1b4d", MigrationStatus.Active)),
                Json(completed));

        var run = await Run("migrate", "vm1", "--to", "host2", "--wait", "--json");

        Assert.True(run.ExitCode == 0, run.Stderr);
        AssertJson(Json(completed), run.Stdout);
        Assert.Equal(3, Api.Requests.Count(r => r is { Method: "GET", Path: "/vms/vm1/migration" }));
    }

    [Fact]
    public async Task Migrate_wait_shows_progress_then_the_summary_and_exits_1_when_failed()
    {
        var failed = Info("3f2a9c0e1b4d", MigrationStatus.Failed) with { ErrorDesc = "destination: 0000:17:00.2: Received INIT_DATA_SENT but switchover ack is not used" };
        Api.On("POST", "/vms/vm1/migrate", 202, Started)
            .On("GET", "/vms/vm1/migration", 200, Json(Info("3f2a9c0e1b4d", MigrationStatus.Active)), Json(failed));

        var run = await Run("migrate", "vm1", "--to", "host2", "--wait");

        Assert.Equal(1, run.ExitCode);
        Assert.Matches(@"(?m)^\[\s+\d+\.\ds\] active\s+iter\s+3\s+sent\s+100\.0 MiB\s+remaining\s+20\.0 MiB.*acks owed by: 0000:17:00\.2$", run.Stdout);
        Assert.Contains("Migration 3f2a9c0e1b4d: failed", run.Stdout);
        Assert.Contains("error-desc:     destination: 0000:17:00.2: Received INIT_DATA_SENT but switchover ack is not used", run.Stdout);
    }

    [Fact]
    public async Task Migrate_wait_exits_1_when_cancelled()
    {
        Api.On("POST", "/vms/vm1/migrate", 202, Started)
            .On("GET", "/vms/vm1/migration", 200, Json(Info("3f2a9c0e1b4d", MigrationStatus.Cancelled)));

        var run = await Run("migrate", "vm1", "--to", "host2", "--wait", "--json");

        Assert.Equal(1, run.ExitCode);
        Assert.Equal("cancelled", (string?)JsonNode.Parse(run.Stdout)!["status"]);
    }

    [Fact]
    public async Task Query_migrate_before_any_migration_says_so()
    {
        Api.On("GET", "/vms/vm1/migration", 200, "{}");

        var text = await Run("query-migrate", "vm1");
        var json = await Run("query-migrate", "vm1", "--json");

        Assert.Equal((0, "VM vm1 has no migration yet"), (text.ExitCode, text.Stdout.Trim()));
        Assert.Equal((0, "{}"), (json.ExitCode, json.Stdout.Trim()));
    }

    [Fact]
    public async Task Query_migrate_shows_a_running_migration_as_a_progress_line_and_its_state()
    {
        Api.On("GET", "/vms/vm1/migration", 200, Json(Info("3f2a9c0e1b4d", MigrationStatus.Active)));

        var run = await Run("query-migrate", "vm1");

        Assert.Equal(0, run.ExitCode);
        var lines = run.Stdout.Split('\n');
        Assert.Contains("active", lines[0]);
        Assert.Equal("Migration 3f2a9c0e1b4d: active", lines[1].Trim());
    }

    [Fact]
    public async Task Query_migrate_json_is_the_object_the_API_returned()
    {
        var body = Json(Info("3f2a9c0e1b4d", MigrationStatus.Completed));
        Api.On("GET", "/vms/vm1/migration", 200, body);

        var run = await Run("query-migrate", "vm1", "--json");

        Assert.Equal(0, run.ExitCode);
        AssertJson(body, run.Stdout);
    }

    [Theory]
    [InlineData("migrate-cancel", "/vms/vm1/migration/cancel")]
    [InlineData("migrate-continue", "/vms/vm1/migration/continue")]
    public async Task Cancel_and_continue_post_to_the_migration(string command, string path)
    {
        Api.On("POST", path, 200, "{}");

        var run = await Run(command, "vm1");

        Assert.Equal(0, run.ExitCode);
        Assert.Equal(("POST", path), (Single().Method, Single().Path));
        Assert.Contains($"{command} sent for vm1", run.Stdout);
    }

    [Fact]
    public async Task Continue_outside_pre_switchover_shows_QEMUs_error()
    {
        Api.On("POST", "/vms/vm1/migration/continue", 409, """{"error": "Migration not in expected state: active"}""");

        var run = await Run("migrate-continue", "vm1");

        Assert.Equal(1, run.ExitCode);
        Assert.Equal("Migration not in expected state: active", run.Stderr.Trim());
    }

    [Fact]
    public async Task Set_capabilities_sends_on_and_off_as_booleans_and_prints_the_whole_set()
    {
        Api.On("POST", "/hosts/host2/capabilities", 200,
            """{"return-path": true, "switchover-ack": false, "pause-before-switchover": false, "auto-converge": false}""");

        var run = await Run("migrate-set-capabilities", "--host", "host2", "switchover-ack=off", "return-path=on");

        Assert.Equal(0, run.ExitCode);
        AssertJson("""{"switchover-ack": false, "return-path": true}""", Single().Body);
        Assert.Matches(@"(?m)^  switchover-ack\s+off$", run.Stdout);
        Assert.Matches(@"(?m)^  return-path\s+on$", run.Stdout);
    }

    [Theory]
    [InlineData("Invalid value 'yes' for capability 'switchover-ack': use on or off", "--host", "host2", "switchover-ack=yes")]
    [InlineData("Invalid argument 'switchover-ack': use CAP=on|off", "--host", "host2", "switchover-ack")]
    [InlineData("Missing CAP=on|off", "--host", "host2")]
    [InlineData("Missing option --host", "switchover-ack=off")]
    public async Task Set_capabilities_rejects_anything_but_on_or_off_before_any_request(string message, params string[] args)
    {
        var run = await Run(["migrate-set-capabilities", .. args]);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains(message, run.Stderr);
        Assert.Empty(Api.Requests);
    }

    [Fact]
    public async Task Set_parameters_sends_string_values_and_prints_every_parameter()
    {
        Api.On("POST", "/vms/vm1/parameters", 200, """
            {"downtime-limit": 300, "max-bandwidth": 1048576, "avail-switchover-bandwidth": 0, "throttle-trigger-threshold": 50,
             "cpu-throttle-initial": 20, "cpu-throttle-increment": 10, "max-cpu-throttle": 99, "switchover-ack-timeout": 60000}
            """);

        var run = await Run("migrate-set-parameters", "vm1", "max-bandwidth=1048576", "downtime-limit=300");

        Assert.Equal(0, run.ExitCode);
        AssertJson("""{"max-bandwidth": "1048576", "downtime-limit": "300"}""", Single().Body);
        Assert.Matches(@"(?m)^  max-bandwidth\s+1048576$", run.Stdout);
        Assert.Matches(@"(?m)^  switchover-ack-timeout\s+60000$", run.Stdout);
    }

    [Fact]
    public async Task Set_parameters_leaves_values_to_the_node_and_shows_its_error_with_exit_2_as_any_refused_input()
    {
        Api.On("POST", "/vms/vm1/parameters", 400,
            """{"error": "Parameter 'downtime-limit' expects an integer in the range of 0 to 2000000 ms"}""");

        var run = await Run("migrate-set-parameters", "vm1", "downtime-limit=-5");

        Assert.Equal(2, run.ExitCode);
        Assert.Equal("Parameter 'downtime-limit' expects an integer in the range of 0 to 2000000 ms", run.Stderr.Trim());
    }

    [Theory]
    [InlineData("Missing PARAM=VALUE", "vm1")]
    [InlineData("Invalid argument 'max-bandwidth': use PARAM=VALUE", "vm1", "max-bandwidth")]
    [InlineData("Invalid argument '=5': use PARAM=VALUE", "vm1", "=5")]
    public async Task Set_parameters_needs_param_equals_value(string message, params string[] args)
    {
        var run = await Run(["migrate-set-parameters", .. args]);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains(message, run.Stderr);
        Assert.Empty(Api.Requests);
    }

    [Fact]
    public async Task Help_prints_the_client_usage_and_sends_nothing()
    {
        var run = await Run("migrate", "--help");

        Assert.Equal(0, run.ExitCode);
        Assert.Contains("migrate-set-capabilities --host HOST CAP=on|off", run.Stdout);
        Assert.Empty(Api.Requests);
    }

    [Fact]
    public void Query_migrate_JSON_reads_back_into_the_same_migration_info()
    {
        var info = Info("3f2a9c0e1b4d", MigrationStatus.Completed);

        var json = QueryMigrateJson.ToJson(info);

        Assert.True(JsonNode.DeepEquals(json, QueryMigrateJson.ToJson(QueryMigrateJson.FromJson(json))));
        Assert.Null(QueryMigrateJson.FromJson([]));
    }

    private static string Json(MigrationInfo info) => QueryMigrateJson.Render(info);

    private static MigrationInfo Info(string id, MigrationStatus status)
    {
        var done = status.IsTerminal();
        return new MigrationInfo(
            new MigrationId(id), DateTimeOffset.UnixEpoch, status, TotalTime: 3100, SetupTime: 1544,
            Downtime: status == MigrationStatus.Completed ? 83 : null, ExpectedDowntime: 99, ErrorDesc: null, CpuThrottlePercentage: 0,
            new RamInfo(Transferred: 80L << 20, Remaining: done ? 0 : 20L << 20, Total: 256L << 20, Duplicate: 21767, Normal: 20480,
                NormalBytes: 20480L * 4096, DirtyPagesRate: 8192, Mbps: 1388.4, DirtySyncCount: 3, PageSize: 4096, PagesPerSecond: 40000,
                PrecopyBytes: 79L << 20, DowntimeBytes: 1L << 20),
            [
                new DeviceInfo("ram", "ram", 80L << 20, done ? 0 : 20L << 20, "not-needed", null, 32, 32, done ? "aa" : null, done ? "aa" : null),
                new DeviceInfo("0000:17:00.2", "vfio", 20L << 20, 0, done ? "acked" : "pending", done ? 3077 : null, 32, 32, null, null),
            ],
            SourceVm: status == MigrationStatus.Completed ? "stopped" : "running",
            DestinationVm: status == MigrationStatus.Completed ? "running" : "paused",
            Verified: status == MigrationStatus.Completed,
            PendingAcks: done ? 0 : 1,
            Transferred: 100L << 20,
            Remaining: done ? 0 : 20L << 20,
            Mbps: 1388.4);
    }
}
