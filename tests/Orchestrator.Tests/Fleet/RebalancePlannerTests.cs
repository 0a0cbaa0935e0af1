using Orchestrator.Actors.Fleet;
using Xunit;

namespace Orchestrator.Tests.Fleet;

public sealed class RebalancePlannerTests
{
    private const long GiB = 1L << 30;

    [Fact]
    public void An_uneven_cluster_is_brought_within_tolerance_without_overfilling_any_host()
    {
        var (hosts, vms) = Uneven();

        var plan = RebalancePlanner.Plan(hosts, vms, maxMoves: 20);

        Assert.Equal(0.8, plan.SpreadBefore, 9);
        Assert.True(plan.SpreadAfter <= 0.10, $"spread after is {plan.SpreadAfter}");
        Assert.Equal(Spread(UsedAfter(hosts, vms, plan.Moves), hosts), plan.SpreadAfter, 9);
    }

    [Fact]
    public void Every_move_starts_where_the_vm_runs_and_no_vm_moves_twice()
    {
        var (hosts, vms) = Uneven();

        var plan = RebalancePlanner.Plan(hosts, vms, maxMoves: 20);

        Assert.NotEmpty(plan.Moves);
        Assert.Equal(plan.Moves.Count, plan.Moves.Select(m => m.Vm).Distinct().Count());
        Assert.All(plan.Moves, m => Assert.Equal(vms.Single(v => v.Name == m.Vm).Host, m.From));
        Assert.All(plan.Moves, m => Assert.Equal(vms.Single(v => v.Name == m.Vm).Size, m.Size));
    }

    [Fact]
    public void No_host_is_filled_beyond_its_capacity_even_when_that_leaves_the_spread_wide()
    {
        var hosts = new List<HostLoad> { Host("host1", 100, 95), Host("host2", 100, 10) };
        var vms = new List<VmLoad> { new("big", "host1", 95 * GiB), new("small", "host2", 10 * GiB) };

        var plan = RebalancePlanner.Plan(hosts, vms, maxMoves: 10);

        // Either move would even things out on paper, but neither VM fits in the room left on the other host.
        Assert.Empty(plan.Moves);
        Assert.Equal(plan.SpreadBefore, plan.SpreadAfter);
    }

    [Fact]
    public void Used_memory_never_exceeds_capacity_after_the_plan()
    {
        var (hosts, vms) = Uneven();

        var plan = RebalancePlanner.Plan(hosts, vms, maxMoves: 20);

        var used = UsedAfter(hosts, vms, plan.Moves);
        Assert.All(hosts, h => Assert.True(used[h.Name] <= h.Capacity, $"{h.Name} holds {used[h.Name] / GiB} GiB of {h.Capacity / GiB}"));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    public void Max_moves_is_respected(int maxMoves)
    {
        var (hosts, vms) = Uneven();

        var plan = RebalancePlanner.Plan(hosts, vms, maxMoves);

        Assert.Equal(maxMoves, plan.Moves.Count);
        Assert.True(maxMoves == 0 ? plan.SpreadAfter == plan.SpreadBefore : plan.SpreadAfter < plan.SpreadBefore);
    }

    [Fact]
    public void An_already_balanced_cluster_gets_no_moves()
    {
        var hosts = new List<HostLoad> { Host("host1", 100, 40), Host("host2", 100, 45), Host("host3", 200, 90) };
        var vms = new List<VmLoad>
        {
            new("vm1", "host1", 40 * GiB),
            new("vm2", "host2", 45 * GiB),
            new("vm3", "host3", 50 * GiB),
            new("vm4", "host3", 40 * GiB),
        };

        var plan = RebalancePlanner.Plan(hosts, vms, maxMoves: 10);

        Assert.Empty(plan.Moves);
        Assert.Equal(0.05, plan.SpreadBefore, 9);
        Assert.Equal(plan.SpreadBefore, plan.SpreadAfter);
    }

    [Fact]
    public void Draining_and_unreachable_hosts_neither_give_nor_take_vms()
    {
        var (hosts, vms) = Uneven();
        hosts.Add(Host("host4", 100, 0, draining: true));
        hosts.Add(Host("host5", 100, 0, reachable: false));
        hosts.Add(Host("host6", 100, 100, draining: true));
        vms.Add(new VmLoad("pinned", "host6", 100 * GiB));

        var plan = RebalancePlanner.Plan(hosts, vms, maxMoves: 20);

        Assert.Equal(0.8, plan.SpreadBefore, 9);
        Assert.All(plan.Moves, m => Assert.DoesNotContain(m.To, new[] { "host4", "host5", "host6" }));
        Assert.DoesNotContain(plan.Moves, m => m.Vm == "pinned");
    }

    [Fact]
    public void The_same_input_gives_the_same_plan()
    {
        var (hosts, vms) = Uneven();

        Assert.Equal(RebalancePlanner.Plan(hosts, vms, 20).Moves, RebalancePlanner.Plan(hosts, vms, 20).Moves);
    }

    /// <summary>host1 at 90%, host2 at 10%, host3 at 20%: 120 GiB over 300, 40% each when even.</summary>
    private static (List<HostLoad> Hosts, List<VmLoad> Vms) Uneven()
    {
        var hosts = new List<HostLoad> { Host("host1", 100, 90), Host("host2", 100, 10), Host("host3", 100, 20) };
        var vms = new List<VmLoad>
        {
            new("a", "host1", 30 * GiB),
            new("b", "host1", 20 * GiB),
            new("c", "host1", 10 * GiB),
            new("d", "host1", 10 * GiB),
            new("e", "host1", 10 * GiB),
            new("f", "host1", 5 * GiB),
            new("g", "host1", 5 * GiB),
            new("h", "host2", 10 * GiB),
            new("i", "host3", 10 * GiB),
            new("j", "host3", 10 * GiB),
        };
        return (hosts, vms);
    }

    private static HostLoad Host(string name, long capacityGiB, long usedGiB, bool draining = false, bool reachable = true) =>
        new(name, capacityGiB * GiB, usedGiB * GiB, draining, reachable);

    private static Dictionary<string, long> UsedAfter(IReadOnlyList<HostLoad> hosts, IReadOnlyList<VmLoad> vms, IReadOnlyList<Placement> moves)
    {
        var used = hosts.ToDictionary(h => h.Name, h => h.Used);
        foreach (var move in moves)
        {
            used[move.From] -= move.Size;
            used[move.To] += move.Size;
        }

        return used;
    }

    private static double Spread(Dictionary<string, long> used, IReadOnlyList<HostLoad> hosts)
    {
        var ratios = hosts.Where(h => h.Reachable && !h.Draining).Select(h => (double)used[h.Name] / h.Capacity).ToList();
        return ratios.Max() - ratios.Min();
    }
}
