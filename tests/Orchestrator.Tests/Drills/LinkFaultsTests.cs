using Orchestrator.Drills;
using Orchestrator.Drills.Netns;
using Orchestrator.Drills.Running;
using Orchestrator.Drills.Scenarios;
using Xunit;

namespace Orchestrator.Tests.Drills;

/// <summary>
/// A drill step the engine cannot produce is found before anything starts: the check against what the
/// machine can do (cluster.sh link-faults, faked here) and the engine's refusal through it.
/// </summary>
public sealed class LinkFaultsTests
{
    private const string NoNetemNoNft = """
        rate yes
        delay no --delay needs the netem qdisc, which this kernel does not have (modprobe sch_netem, or a kernel with CONFIG_NET_SCH_NETEM); --rate and --loss work without it
        loss no --loss needs the netem qdisc or nftables, and this machine has neither: install nftables (apt-get install nftables) or load sch_netem (modprobe sch_netem)
        """;

    private static Scenario Linked(params Step[] steps) =>
        steps.Aggregate(Scenario.Named("links").Hosts(2).Vm("web", on: "host1", ram: 16L << 20).Wait(TimeSpan.FromMilliseconds(1)),
            (builder, step) => builder.Then(step)).Build();

    [Fact]
    public void The_probes_lines_say_what_is_missing_and_how_to_get_it()
    {
        var faults = NetnsDrillCluster.ParseLinkFaults(NoNetemNoNft);

        Assert.Null(faults.Rate);
        Assert.StartsWith("--delay needs the netem qdisc", faults.Delay);
        Assert.Equal("--loss needs the netem qdisc or nftables, and this machine has neither: install nftables (apt-get install nftables) or load sch_netem (modprobe sch_netem)", faults.Loss);
        Assert.Null(faults.Clear);
    }

    [Fact]
    public void A_fault_the_probe_does_not_name_is_not_promised()
    {
        var faults = NetnsDrillCluster.ParseLinkFaults("rate yes");

        Assert.StartsWith("cluster.sh link-faults did not say whether it can shape a link's loss", faults.Loss);
    }

    [Fact]
    public void Every_step_that_needs_a_missing_fault_is_named_with_why()
    {
        var faults = NetnsDrillCluster.ParseLinkFaults(NoNetemNoNft);
        var scenario = Linked(
            new SlowLinkStep("host1", "host2", null, 6L << 20, null),
            new SlowLinkStep("host1", "host2", TimeSpan.FromMilliseconds(50), null, 0.02),
            new ClearLinkStep("host1", "host2"));

        var problems = faults.Problems(scenario);

        Assert.Equal([
            $"steps[2]: 'slow-link host1 host2 delay 50 ms loss 2.0 %' {faults.Delay}; {faults.Loss}",
        ], problems);
    }

    [Theory]
    [InlineData("rate")]
    [InlineData("delay")]
    [InlineData("loss")]
    public void Each_kind_of_link_fault_is_checked(string missing)
    {
        var faults = NetnsDrillCluster.ParseLinkFaults(string.Join('\n', new[] { "rate", "delay", "loss" }
            .Select(f => f == missing ? $"{f} no no {f} here" : $"{f} yes")));
        var scenario = Linked(new SlowLinkStep("host1", "host2",
            missing == "delay" ? TimeSpan.FromMilliseconds(5) : null, missing == "rate" ? 1L << 20 : null, missing == "loss" ? 0.01 : null));

        Assert.EndsWith($"no {missing} here", Assert.Single(faults.Problems(scenario)));
    }

    [Fact]
    public async Task The_engine_refuses_before_it_starts_anything()
    {
        var started = false;
        var scenario = Linked(new SlowLinkStep("host1", "host2", null, 6L << 20, 0.02));

        var refused = await Assert.ThrowsAsync<DrillNotSupportedException>(() => Drill.Run(scenario, NetnsDrillCluster.ParseLinkFaults(NoNetemNoNft),
            _ => { started = true; throw new InvalidOperationException("the cluster must not start"); }, "netns"));

        Assert.False(started);
        Assert.Contains("--loss needs the netem qdisc or nftables", refused.Message);
    }

    [Fact]
    public void A_drill_with_no_link_fault_runs_whatever_the_machine_lacks()
    {
        var nothing = new LinkFaults("no", "no", "no", "no");

        Assert.Empty(nothing.Problems(Linked()));
    }
}
