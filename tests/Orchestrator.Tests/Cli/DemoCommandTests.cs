using System.Text.Json.Nodes;
using Xunit;

namespace Orchestrator.Tests.Cli;

/// <summary><c>orchestrator demo</c> as a separate process: exit codes, one JSON object on stdout, QEMU's messages on stderr.</summary>
public sealed class DemoCommandTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task Demo_json_is_the_final_query_migrate_with_every_field_filled()
    {
        var run = await OrchestratorProcess.Run(Timeout,
            "demo", "--ram", "16MiB", "--vfio", "8MiB", "--vfio-alloc", "300", "--vgpu", "4MiB", "--dirty-rate", "4MiB/s", "--json");

        Assert.True(run.ExitCode == 0, run.Stderr);
        var json = Json(run);
        Assert.Equal("completed", (string?)json["status"]);
        foreach (var field in new[] { "total-time", "setup-time", "downtime", "expected-downtime" })
            Assert.True((long)json[field]! >= 0, field);
        Assert.True(json.ContainsKey("error-desc"));
        Assert.Null(json["error-desc"]);
        var ram = json["ram"]!.AsObject();
        Assert.Equal(16L << 20, (long)ram["total"]!);
        Assert.Equal(4096, (long)ram["page-size"]!);
        Assert.True((long)ram["normal"]! > 0 && (long)ram["duplicate"]! > 0, "both normal and zero pages moved");
        Assert.Equal((long)ram["normal"]! * 4096, (long)ram["normal-bytes"]!);
        Assert.True((long)ram["transferred"]! >= (long)ram["normal-bytes"]!);
        Assert.Equal((long)ram["transferred"]!, (long)ram["precopy-bytes"]! + (long)ram["downtime-bytes"]!);
        Assert.True((long)ram["dirty-sync-count"]! >= 1);
        foreach (var field in new[] { "remaining", "dirty-pages-rate", "mbps", "pages-per-second" })
            Assert.True(ram.ContainsKey(field), field);
        var devices = json["devices"]!.AsArray();
        Assert.Equal(["ram", "vfio", "vgpu"], devices.Select(d => (string)d!["kind"]!));
        Assert.Equal(["not-needed", "acked", "acked"], devices.Select(d => (string)d!["switchover-ack"]!));
        Assert.All(devices, d => Assert.True((long)d!["transferred"]! > 0));
        Assert.Equal("stopped", (string?)json["source-vm"]);
        Assert.Equal("running", (string?)json["destination-vm"]);
        Assert.True((bool)json["verified"]!);
    }

    [Fact]
    public async Task Demo_exits_1_when_the_destination_refuses_and_shows_its_reason()
    {
        var run = await OrchestratorProcess.Run(Timeout,
            "demo", "--ram", "8MiB", "--vfio", "4MiB", "--vgpu", "0", "--dest-capabilities", "return-path", "--json");

        Assert.Equal(1, run.ExitCode);
        var json = Json(run);
        Assert.Equal("failed", (string?)json["status"]);
        Assert.Contains("0000:17:00.2: Received INIT_DATA_SENT but switchover ack is not used", (string?)json["error-desc"]);
        Assert.Equal("running", (string?)json["source-vm"]);
        Assert.Equal("absent", (string?)json["destination-vm"]);
    }

    [Fact]
    public async Task A_RAM_only_demo_needs_no_ack()
    {
        var run = await OrchestratorProcess.Run(Timeout, "demo", "--ram", "8MiB", "--vfio", "0", "--vgpu", "0", "--json");

        Assert.True(run.ExitCode == 0, run.Stderr);
        var json = Json(run);
        Assert.Equal("not-needed", (string?)Assert.Single(json["devices"]!.AsArray())!["switchover-ack"]);
        Assert.Equal(0, (int)json["pending-acks"]!);
    }

    [Fact]
    public async Task A_demo_with_multifd_on_both_sides_completes_verified()
    {
        var run = await OrchestratorProcess.Run(Timeout, "demo", "--ram", "8MiB", "--vfio", "4MiB", "--vfio-alloc", "100", "--vgpu", "0",
            "--capabilities", "return-path,switchover-ack,multifd", "--dest-capabilities", "return-path,switchover-ack,multifd", "--multifd-channels", "4", "--json");

        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.Equal("completed", (string?)Json(run)["status"]);
        Assert.True((bool)Json(run)["verified"]!);
    }

    [Fact]
    public async Task A_demo_with_different_multifd_channels_fails_at_setup_naming_both_sides()
    {
        var run = await OrchestratorProcess.Run(Timeout, "demo", "--ram", "8MiB", "--vfio", "0", "--vgpu", "0",
            "--capabilities", "return-path,switchover-ack,multifd", "--dest-capabilities", "return-path,switchover-ack,multifd",
            "--multifd-channels", "4", "--dest-multifd-channels", "2", "--json");

        Assert.Equal(1, run.ExitCode);
        Assert.StartsWith("multifd mismatch: multifd on with 4 channels at the source, multifd on with 2 channels at the destination",
            (string?)Json(run)["error-desc"]);
    }

    /// <summary>stdout must be exactly one JSON object; on failure show what was there instead.</summary>
    private static JsonObject Json(OrchestratorProcess.Result run)
    {
        try
        {
            return JsonNode.Parse(run.Stdout)!.AsObject();
        }
        catch (System.Text.Json.JsonException e)
        {
            throw new Xunit.Sdk.XunitException($"stdout is not one JSON object ({e.Message}):\n{run.Stdout}\n--- stderr:\n{run.Stderr}");
        }
    }

    private static readonly string[] Paused =
        ["demo", "--ram", "8MiB", "--vfio", "4MiB", "--vfio-alloc", "100", "--vgpu", "0", "--capabilities", "return-path,switchover-ack,pause-before-switchover"];

    [Fact]
    public async Task A_migration_paused_before_switchover_continues_after_the_given_delay()
    {
        var run = await OrchestratorProcess.Run(Timeout, new Dictionary<string, string>(), stdin: "", [.. Paused, "--continue-after", "300ms"]);

        Assert.True(run.ExitCode == 0, run.Stdout + run.Stderr);
        Assert.Contains("paused before switchover (pause-before-switchover): migrate-continue in 300 ms", run.Stdout);
        Assert.Matches(@"\] pre-switchover ", run.Stdout);
        Assert.Contains("Migration ", run.Stdout);
        Assert.Contains(": completed", run.Stdout);
    }

    [Fact]
    public async Task A_migration_paused_before_switchover_continues_when_Enter_is_pressed()
    {
        var run = await OrchestratorProcess.Run(Timeout, new Dictionary<string, string>(), stdin: "\n", [.. Paused, "--continue-after", "enter", "--json"]);

        Assert.True(run.ExitCode == 0, run.Stdout + run.Stderr);
        Assert.Equal("completed", (string?)Json(run)["status"]);
        // The prompt goes to stderr under --json: stdout is one JSON object.
        Assert.Contains("paused before switchover (pause-before-switchover): press Enter to continue (migrate-continue)", run.Stderr);
    }

    [Fact]
    public async Task Without_a_terminal_a_migration_paused_before_switchover_continues_at_once()
    {
        var run = await OrchestratorProcess.Run(Timeout, new Dictionary<string, string>(), stdin: "", [.. Paused, "--json"]);

        Assert.True(run.ExitCode == 0, run.Stdout + run.Stderr);
        Assert.Equal("completed", (string?)Json(run)["status"]);
        Assert.Contains("paused before switchover (pause-before-switchover): migrate-continue in 0 ms", run.Stderr);
    }

    [Fact]
    public void Akkas_own_log_reaches_stderr_only_with_verbose_and_a_timeouts_bare_number_is_seconds()
    {
        var settings = Orchestrator.Actors.Migration.MigrationSettings.Default;
        var quiet = Orchestrator.Demo.DemoOptions.Parse(["--timeout", "5"]);
        var verbose = Orchestrator.Demo.DemoOptions.Parse(["--verbose"]);

        Assert.False(Orchestrator.Demo.DemoCommand.NodeOptions("source", settings, quiet).StandardErrorLog);
        Assert.True(Orchestrator.Demo.DemoCommand.NodeOptions("source", settings, verbose).StandardErrorLog);
        Assert.Equal(TimeSpan.FromSeconds(5), quiet.Timeout);
    }

    [Fact]
    public void By_default_a_pause_waits_for_Enter_on_a_terminal_and_for_nothing_otherwise()
    {
        Assert.Null(Orchestrator.Demo.DemoOptions.Parse([], terminal: true).ContinueAfter);
        Assert.Equal(TimeSpan.Zero, Orchestrator.Demo.DemoOptions.Parse([], terminal: false).ContinueAfter);
        Assert.Equal(TimeSpan.FromSeconds(5), Orchestrator.Demo.DemoOptions.Parse(["--continue-after", "5s"], terminal: true).ContinueAfter);
    }

    [Theory]
    [InlineData("Invalid --continue-after 'soon': use enter, or a duration after reaching pre-switchover (e.g. 0, 500ms or 5s)", "--continue-after", "soon")]
    [InlineData("Capability 'switchover-ack' requires capability 'return-path'", "--capabilities", "switchover-ack")]
    [InlineData("Capability 'switchover-ack' requires capability 'return-path'", "--dest-capabilities", "switchover-ack")]
    [InlineData("Parameter 'capability' does not accept value 'turbo'", "--capabilities", "return-path,turbo")]
    [InlineData("Parameter 'downtime-limit' expects an integer in the range of 0 to 2000000 ms", "--downtime-limit", "2000001")]
    [InlineData("Parameter 'max-bandwidth' expects an integer in the range of 0 to", "--max-bandwidth", "-1")]
    [InlineData("Parameter 'switchover-ack-timeout' expects an integer in the range of 0 to 86400000 ms", "--switchover-ack-timeout", "1e3")]
    [InlineData("Invalid size '12XB' for --ram", "--ram", "12XB")]
    [InlineData("--ram must be a multiple of 4 KiB (4096 bytes), a whole number of pages: 1000000 bytes is not; use 1003520 or 999424 bytes", "--ram", "1000000")]
    [InlineData("Invalid rate 'fast' for --dirty-rate", "--dirty-rate", "fast")]
    [InlineData("Unknown option '--ramm'", "--ramm", "1")]
    public async Task Invalid_arguments_exit_2_with_the_message_on_stderr_and_nothing_on_stdout(string message, params string[] args)
    {
        var run = await OrchestratorProcess.Run(Timeout, ["demo", .. args]);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains(message, run.Stderr);
        Assert.Equal("", run.Stdout);
    }
}
