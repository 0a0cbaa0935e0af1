using Orchestrator.Actors.Fleet;
using Xunit;

namespace Orchestrator.Tests.Fleet;

public sealed class EvacuationPlannerTests
{
    private const long GiB = 1L << 30;

    [Fact]
    public void Twelve_vms_leave_host1_spread_over_three_hosts_by_free_capacity()
    {
        var hosts = new List<HostLoad>
        {
            Host("host1", 64, 48),
            Host("host2", 64, 0),
            Host("host3", 64, 32),
            Host("host4", 64, 32),
        };
        var sizes = new long[] { 8, 6, 6, 4, 4, 4, 4, 4, 2, 2, 2, 2 };
        var vms = sizes.Select((s, i) => new VmLoad($"vm{i + 1:00}", "host1", s * GiB)).ToList();

        var plan = EvacuationPlanner.Plan("host1", hosts, vms);

        Assert.Empty(plan.Unplaceable);
        Assert.Equal(vms.Select(v => v.Name).Order(), plan.Moves.Select(m => m.Vm).Order());
        Assert.All(plan.Moves, m => Assert.Equal("host1", m.From));
        Assert.Equal(plan.Moves.Select(m => m.Size).OrderDescending(), plan.Moves.Select(m => m.Size));

        var freeAfter = FreeAfter(hosts, plan.Moves);
        Assert.All(freeAfter.Where(kv => kv.Key != "host1"), kv => Assert.True(kv.Value >= 0, $"{kv.Key} overfilled"));
        // host2 starts 32 GiB emptier, so it takes the big VMs until it is level with the others; then they share.
        Assert.Equal([26 * GiB, 26 * GiB, 28 * GiB], new[] { freeAfter["host2"], freeAfter["host3"], freeAfter["host4"] });
        Assert.Equal(8, plan.Moves.Count(m => m.To == "host2"));
    }

    [Fact]
    public void Draining_and_unreachable_hosts_are_never_chosen_however_empty()
    {
        var hosts = new List<HostLoad>
        {
            Host("host1", 64, 16, draining: true),
            Host("host2", 64, 40),
            Host("host3", 512, 0, draining: true),
            Host("host4", 512, 0, reachable: false),
        };
        var vms = Enumerable.Range(1, 4).Select(i => new VmLoad($"vm{i}", "host1", 4 * GiB)).ToList();

        var plan = EvacuationPlanner.Plan("host1", hosts, vms);

        Assert.Empty(plan.Unplaceable);
        Assert.All(plan.Moves, m => Assert.Equal("host2", m.To));
    }

    [Fact]
    public void A_vm_too_large_for_any_host_is_reported_with_the_reason_and_nothing_is_dropped()
    {
        var hosts = new List<HostLoad>
        {
            Host("host1", 16, 6),
            Host("host2", 4, 3),
            Host("host3", 4, 3),
        };
        var vms = new List<VmLoad>
        {
            new("small1", "host1", GiB / 2),
            new("huge", "host1", 3 * GiB),
            new("small2", "host1", GiB / 2),
            new("elsewhere", "host2", 3 * GiB),
        };

        var plan = EvacuationPlanner.Plan("host1", hosts, vms);

        var unplaceable = Assert.Single(plan.Unplaceable);
        Assert.Equal(new Unplaceable("huge", 3 * GiB, "needs 3221225472 bytes; the most free on any other host is 1073741824 (host2)"), unplaceable);
        var covered = plan.Moves.Select(m => m.Vm).Concat(plan.Unplaceable.Select(u => u.Vm)).Order();
        Assert.Equal(["huge", "small1", "small2"], covered);
        Assert.Equal(["host2", "host3"], plan.Moves.Select(m => m.To).Order());
    }

    [Fact]
    public void With_no_other_host_accepting_vms_every_vm_stays_and_is_reported()
    {
        var hosts = new List<HostLoad> { Host("host1", 64, 8), Host("host2", 64, 0, reachable: false) };
        var vms = new List<VmLoad> { new("vm1", "host1", 4 * GiB), new("vm2", "host1", 4 * GiB) };

        var plan = EvacuationPlanner.Plan("host1", hosts, vms);

        Assert.Empty(plan.Moves);
        Assert.Equal(["vm1", "vm2"], plan.Unplaceable.Select(u => u.Vm));
        Assert.All(plan.Unplaceable, u => Assert.Equal("no other host is up and accepting VMs", u.Reason));
    }

    [Fact]
    public void Equal_free_capacity_is_broken_by_host_name_so_plans_repeat()
    {
        var hosts = new List<HostLoad> { Host("host1", 64, 8), Host("host3", 64, 0), Host("host2", 64, 0) };
        var vms = new List<VmLoad> { new("b", "host1", 4 * GiB), new("a", "host1", 4 * GiB) };

        var plan = EvacuationPlanner.Plan("host1", hosts, vms);

        Assert.Equal([new Placement("a", "host1", "host2", 4 * GiB), new Placement("b", "host1", "host3", 4 * GiB)], plan.Moves);
    }

    private static HostLoad Host(string name, long capacityGiB, long usedGiB, bool draining = false, bool reachable = true) =>
        new(name, capacityGiB * GiB, usedGiB * GiB, draining, reachable);

    private static Dictionary<string, long> FreeAfter(IReadOnlyList<HostLoad> hosts, IReadOnlyList<Placement> moves)
    {
        var free = hosts.ToDictionary(h => h.Name, h => h.Capacity - h.Used);
        foreach (var move in moves)
        {
            free[move.From] += move.Size;
            free[move.To] -= move.Size;
        }

        return free;
    }
}
