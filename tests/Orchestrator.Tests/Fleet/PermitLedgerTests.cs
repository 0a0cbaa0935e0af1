using Orchestrator.Actors.Fleet;
using Xunit;

namespace Orchestrator.Tests.Fleet;

public sealed class PermitLedgerTests
{
    private static readonly string[] Hosts = ["host1", "host2", "host3", "host4"];

    [Fact]
    public void Limits_are_never_exceeded_under_random_enqueue_grant_release_and_every_request_is_granted()
    {
        const int seed = 20240611;
        var random = new Random(seed);
        var limits = new FleetLimits();
        var ledger = new PermitLedger(limits);
        var vms = Enumerable.Range(1, 40).Select(i => $"vm{i}").ToList();
        var requested = new Dictionary<string, int>();
        var granted = new Dictionary<string, int>();

        void Check(string step)
        {
            var where = $"seed {seed}, {step}";
            try
            {
                ledger.CheckInvariants();
            }
            catch (InvalidOperationException e)
            {
                Assert.Fail($"{where}: {e.Message}");
            }

            Assert.True(ledger.HeldCount <= limits.PerCluster, $"{where}: {ledger.HeldCount} held");
            foreach (var host in Hosts)
            {
                Assert.True(ledger.OutboundHeld(host) <= limits.OutboundPerHost, $"{where}: outbound {host} {ledger.OutboundHeld(host)}");
                Assert.True(ledger.InboundHeld(host) <= limits.InboundPerHost, $"{where}: inbound {host} {ledger.InboundHeld(host)}");
            }
        }

        void GrantAndRecord(string step)
        {
            foreach (var request in ledger.Grant())
            {
                granted[request.Vm] = granted.GetValueOrDefault(request.Vm) + 1;
            }

            // Permits are not left unused: after a grant, every queued request is blocked by some limit.
            foreach (var waiting in ledger.Queued)
            {
                var blocked = ledger.HeldCount >= limits.PerCluster
                    || ledger.OutboundHeld(waiting.Source) >= limits.OutboundPerHost
                    || ledger.InboundHeld(waiting.Destination) >= limits.InboundPerHost;
                Assert.True(blocked, $"seed {seed}, {step}: {waiting.Vm} could have been granted");
            }
        }

        for (var step = 0; step < 2000; step++)
        {
            var name = $"step {step}";
            switch (random.Next(3))
            {
                case 0:
                    var idle = vms.Where(v => !ledger.Holds(v) && !ledger.IsQueued(v)).ToList();
                    if (idle.Count > 0)
                    {
                        var vm = idle[random.Next(idle.Count)];
                        var source = Hosts[random.Next(Hosts.Length)];
                        var destination = Hosts.Where(h => h != source).ElementAt(random.Next(Hosts.Length - 1));
                        var priority = random.Next(4) == 0 ? MigrationPriority.Evacuation : MigrationPriority.User;
                        Assert.True(ledger.Enqueue(vm, source, destination, priority, out var refusal), $"seed {seed}, {name}: {refusal}");
                        requested[vm] = requested.GetValueOrDefault(vm) + 1;
                    }

                    break;
                case 1:
                    GrantAndRecord(name);
                    break;
                default:
                    if (ledger.HeldCount > 0)
                    {
                        Assert.True(ledger.Release(ledger.Held[random.Next(ledger.HeldCount)].Vm));
                    }

                    break;
            }

            Check(name);
        }

        // Drain: as migrations end and release, everything still waiting gets its turn.
        for (var round = 0; round < 100 && (ledger.Queued.Count > 0 || ledger.HeldCount > 0); round++)
        {
            GrantAndRecord($"drain round {round}");
            Check($"drain round {round} after grant");
            foreach (var vm in ledger.Held.Select(r => r.Vm).ToList())
            {
                Assert.True(ledger.Release(vm));
            }

            Check($"drain round {round} after release");
        }

        Assert.True(ledger.Queued.Count == 0 && ledger.HeldCount == 0, $"seed {seed}: ledger did not drain");
        Assert.True(requested.Count > 30, $"seed {seed}: only {requested.Count} VMs exercised");
        var ungranted = requested.Where(kv => granted.GetValueOrDefault(kv.Key) != kv.Value).Select(kv => kv.Key).ToList();
        Assert.True(ungranted.Count == 0 && granted.Count == requested.Count,
            $"seed {seed}: requests and grants differ for {string.Join(", ", ungranted)}");
    }

    [Fact]
    public void Evacuation_requests_are_granted_before_earlier_user_requests()
    {
        var ledger = new PermitLedger(new FleetLimits(PerCluster: 2));
        Enqueue(ledger, "user1", "host1", "host2", MigrationPriority.User);
        Enqueue(ledger, "user2", "host3", "host4", MigrationPriority.User);
        Enqueue(ledger, "evac1", "host2", "host3", MigrationPriority.Evacuation);
        Enqueue(ledger, "evac2", "host2", "host4", MigrationPriority.Evacuation);

        Assert.Equal(["evac1", "evac2", "user1", "user2"], ledger.Queued.Select(r => r.Vm));
        Assert.Equal(["evac1", "evac2"], ledger.Grant().Select(r => r.Vm));

        ledger.Release("evac1");
        Assert.Equal(["user1"], ledger.Grant().Select(r => r.Vm));
        ledger.CheckInvariants();
    }

    [Fact]
    public void A_request_blocked_by_its_hosts_limit_does_not_block_requests_for_other_hosts_and_keeps_its_place()
    {
        var ledger = new PermitLedger(new FleetLimits());
        Enqueue(ledger, "vm1", "hostA", "hostB", MigrationPriority.User);
        Enqueue(ledger, "vm2", "hostA", "hostC", MigrationPriority.User);
        Enqueue(ledger, "vm3", "hostA", "hostD", MigrationPriority.User);
        Enqueue(ledger, "vm4", "hostB", "hostC", MigrationPriority.User);
        Enqueue(ledger, "vm5", "hostA", "hostD", MigrationPriority.User);

        Assert.Equal(["vm1", "vm2", "vm4"], ledger.Grant().Select(r => r.Vm));
        Assert.Equal(["vm3", "vm5"], ledger.Queued.Select(r => r.Vm));
        Assert.Equal(2, ledger.OutboundHeld("hostA"));

        Assert.True(ledger.Release("vm1"));
        Assert.Equal(["vm3"], ledger.Grant().Select(r => r.Vm));
        Assert.Equal(["vm5"], ledger.Queued.Select(r => r.Vm));
        ledger.CheckInvariants();
    }

    [Fact]
    public void Inbound_limit_holds_a_destination_to_two_even_from_different_sources()
    {
        var ledger = new PermitLedger(new FleetLimits());
        Enqueue(ledger, "vm1", "host1", "host4", MigrationPriority.Evacuation);
        Enqueue(ledger, "vm2", "host2", "host4", MigrationPriority.Evacuation);
        Enqueue(ledger, "vm3", "host3", "host4", MigrationPriority.Evacuation);

        Assert.Equal(["vm1", "vm2"], ledger.Grant().Select(r => r.Vm));
        Assert.Equal(2, ledger.InboundHeld("host4"));
        Assert.True(ledger.IsQueued("vm3"));
    }

    [Fact]
    public void Cluster_limit_caps_held_permits_across_all_hosts()
    {
        var ledger = new PermitLedger(new FleetLimits());
        for (var i = 0; i < 8; i++)
        {
            Enqueue(ledger, $"vm{i}", $"src{i}", $"dst{i}", MigrationPriority.User);
        }

        Assert.Equal(5, ledger.Grant().Count);
        Assert.Empty(ledger.Grant());
        Assert.Equal(3, ledger.Queued.Count);
    }

    [Fact]
    public void A_second_request_for_the_same_vm_is_refused_while_queued_or_held()
    {
        var ledger = new PermitLedger(new FleetLimits());
        Enqueue(ledger, "vm1", "host1", "host2", MigrationPriority.User);

        Assert.False(ledger.Enqueue("vm1", "host1", "host3", MigrationPriority.Evacuation, out var whileQueued));
        Assert.Equal("There's a migration process in progress", whileQueued);

        ledger.Grant();
        Assert.False(ledger.Enqueue("vm1", "host2", "host3", MigrationPriority.User, out var whileHeld));
        Assert.Equal("There's a migration process in progress", whileHeld);

        ledger.Release("vm1");
        Assert.True(ledger.Enqueue("vm1", "host2", "host3", MigrationPriority.User, out var none));
        Assert.Null(none);
    }

    [Fact]
    public void A_move_onto_the_same_host_is_refused()
    {
        var ledger = new PermitLedger(new FleetLimits());
        Assert.False(ledger.Enqueue("vm1", "host1", "host1", MigrationPriority.User, out var refusal));
        Assert.Equal("vm1 already runs on host1; source and destination must differ", refusal);
        Assert.False(ledger.IsQueued("vm1"));
    }

    [Fact]
    public void Release_frees_a_held_permit_only()
    {
        var ledger = new PermitLedger(new FleetLimits(PerCluster: 1));
        Enqueue(ledger, "vm1", "host1", "host2", MigrationPriority.User);
        Enqueue(ledger, "vm2", "host3", "host4", MigrationPriority.User);
        ledger.Grant();

        Assert.False(ledger.Release("vm2"));
        Assert.True(ledger.IsQueued("vm2"));
        Assert.True(ledger.Release("vm1"));
        Assert.False(ledger.Release("vm1"));
        Assert.Equal(0, ledger.OutboundHeld("host1"));
        Assert.Equal(0, ledger.InboundHeld("host2"));
        Assert.Equal(["vm2"], ledger.Grant().Select(r => r.Vm));
        ledger.CheckInvariants();
    }

    [Fact]
    public void Withdraw_removes_a_queued_request_but_never_a_held_permit()
    {
        var ledger = new PermitLedger(new FleetLimits(PerCluster: 1));
        Enqueue(ledger, "vm1", "host1", "host2", MigrationPriority.User);
        Enqueue(ledger, "vm2", "host3", "host4", MigrationPriority.User);
        ledger.Grant();

        Assert.False(ledger.Withdraw("vm1"));
        Assert.True(ledger.Holds("vm1"));
        Assert.True(ledger.Withdraw("vm2"));
        Assert.False(ledger.Withdraw("vm2"));
        Assert.Empty(ledger.Queued);
    }

    [Theory]
    [InlineData(0, 2, 2, "PerCluster must be at least 1, was 0")]
    [InlineData(5, 0, 2, "OutboundPerHost must be at least 1, was 0")]
    [InlineData(5, 2, -1, "InboundPerHost must be at least 1, was -1")]
    public void Limits_below_one_are_refused_with_the_limit_named(int cluster, int outbound, int inbound, string message)
    {
        var error = Assert.Throws<ArgumentException>(() => new PermitLedger(new FleetLimits(cluster, outbound, inbound)));
        Assert.StartsWith(message, error.Message);
    }

    private static void Enqueue(PermitLedger ledger, string vm, string source, string destination, MigrationPriority priority) =>
        Assert.True(ledger.Enqueue(vm, source, destination, priority, out var refusal), refusal);
}
