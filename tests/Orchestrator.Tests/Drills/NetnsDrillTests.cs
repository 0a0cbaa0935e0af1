using System.Text.Json.Nodes;
using Orchestrator.Drills.Files;
using Orchestrator.Drills.InProcess;
using Orchestrator.Drills.Running;
using Orchestrator.Tests.Cli;
using Orchestrator.Tests.Cluster;
using Xunit;
using Xunit.Abstractions;

namespace Orchestrator.Tests.Drills;

/// <summary>
/// Shipped drills with <c>orchestrator drill --netns</c> through the real CLI process: every host a node
/// process in its own network namespace (deploy/netns/cluster.sh), kills by SIGKILL, partitions by
/// blackhole routes, slow links by htb, lossy links by netem or nftables. Needs root; skipped otherwise.
/// </summary>
[Trait("Category", "Scenario")]
[Collection(DrillCollection.Name)]
public sealed class NetnsDrillTests(ITestOutputHelper output)
{
    /// <summary>Drills only the netns engine can run (the in-process engine refuses them).</summary>
    public static readonly string[] NetnsOnly = ["slow-link-convergence.yaml", "lossy-link-convergence.yaml"];

    [NetnsFact]
    public Task A_destination_killed_by_SIGKILL_at_stop_copy_leaves_the_VM_running_on_its_source() =>
        Passes("destination-crash-stop-copy.yaml");

    [NetnsFact]
    public Task A_multifd_destination_killed_by_SIGKILL_at_stop_copy_leaves_the_VM_running_on_its_source() =>
        Passes("multifd-destination-crash-stop-copy.yaml");

    [NetnsFact]
    public Task An_evacuation_under_a_real_partition_empties_the_host() =>
        Passes("evacuation-under-partition.yaml");

    [NetnsFact]
    public Task The_ledgers_node_killed_by_SIGKILL_right_after_a_commit_costs_the_migration_nothing() =>
        Passes("ledger-host-dies-after-commit.yaml");

    [NetnsFact]
    public Task The_ledgers_node_killed_by_SIGKILL_at_stop_copy_delays_the_commit_until_its_successor_answers() =>
        Passes("ledger-host-dies-stop-copy.yaml");

    [NetnsFact("rate")]
    public Task A_migration_over_a_rate_limited_link_converges() =>
        Passes("slow-link-convergence.yaml");

    [NetnsFact("rate", "loss")]
    public Task A_migration_over_a_link_that_drops_packets_converges() =>
        Passes("lossy-link-convergence.yaml");

    [Fact]
    public void A_node_gone_counts_as_killed_by_the_scenario_only_when_its_log_shows_it_obeyed_the_fault_hook()
    {
        var dir = Directory.CreateTempSubdirectory("netns-fate-").FullName;
        try
        {
            var obeyed = Path.Combine(dir, "host2.log");
            var crashed = Path.Combine(dir, "host3.log");
            File.WriteAllLines(obeyed, ["node host2 up", "[WARNING] Fault armed: ...", "Fault: dying now (migration m1 of web reached stop-copy)"]);
            File.WriteAllLines(crashed, ["node host3 up", "Unhandled exception. System.OutOfMemoryException", "[WARNING] Fault: dying now, said the logger"]);

            Assert.True(Orchestrator.Drills.Netns.NetnsDrillCluster.DiedOfFaultHook(obeyed));
            Assert.False(Orchestrator.Drills.Netns.NetnsDrillCluster.DiedOfFaultHook(crashed));
            Assert.False(Orchestrator.Drills.Netns.NetnsDrillCluster.DiedOfFaultHook(Path.Combine(dir, "host9.log")));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Netns_only_drills_are_refused_in_process()
    {
        foreach (var file in NetnsOnly)
        {
            var scenario = ScenarioFile.Load(Path.Combine(ShippedDrillTests.DrillsFolder, file));
            var refused = Assert.Throws<DrillNotSupportedException>(() => Drill.CheckSupported(scenario, InProcessDrill.LinkFaults));
            Assert.Contains("--netns", refused.Message);
        }
    }

    [Fact]
    public async Task Without_root_netns_is_refused_with_exit_2_before_anything_starts()
    {
        // As root, the CLI runs as nobody (setpriv); otherwise as whoever runs the tests.
        var start = new System.Diagnostics.ProcessStartInfo(IsRoot() ? "setpriv" : "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetTempPath(),
        };
        if (IsRoot())
            foreach (var arg in new[] { "--reuid=65534", "--regid=65534", "--clear-groups", "dotnet" })
                start.ArgumentList.Add(arg);
        foreach (var arg in new[] { OrchestratorProcess.Dll, "drill", Path.Combine(ShippedDrillTests.DrillsFolder, "slow-link-convergence.yaml"), "--netns" })
            start.ArgumentList.Add(arg);
        start.Environment["HOME"] = Path.GetTempPath();
        using var process = System.Diagnostics.Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(2, process.ExitCode);
        Assert.Equal("--netns needs root (network namespaces); run as root or drop --netns", (await stderr).Trim());
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "geteuid")]
    private static extern uint GetEuid();

    private static bool IsRoot() => OperatingSystem.IsLinux() && GetEuid() == 0;

    private async Task Passes(string file)
    {
        var result = await OrchestratorProcess.Run(TimeSpan.FromSeconds(150), "drill", Path.Combine(ShippedDrillTests.DrillsFolder, file), "--netns", "--json");
        output.WriteLine(result.Stdout);
        output.WriteLine(result.Stderr);
        Assert.True(result.ExitCode == 0, $"exit {result.ExitCode}: {result.Stdout}{result.Stderr}");
        var report = JsonNode.Parse(result.Stdout)!;
        Assert.True((bool)report["passed"]!);
        Assert.Equal(0, (int)report["lost"]!);
        Assert.Equal(0, (int)report["double-runs"]!);
        Assert.Empty(report["errors"]!.AsArray());
    }
}
