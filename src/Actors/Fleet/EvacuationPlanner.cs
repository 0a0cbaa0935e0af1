namespace Orchestrator.Actors.Fleet;

/// <summary>Decides where each VM of a draining host goes, before any migration starts.</summary>
internal static class EvacuationPlanner
{
    public static EvacuationPlan Plan(string host, IReadOnlyList<HostLoad> hosts, IReadOnlyList<VmLoad> vms)
    {
        // Free space as this plan consumes it, so two VMs are never both counted into the same gap.
        var free = hosts
            .Where(h => h.Reachable && !h.Draining && !string.Equals(h.Name, host, StringComparison.Ordinal))
            .ToDictionary(h => h.Name, h => h.Free, StringComparer.Ordinal);

        var moves = new List<Placement>();
        var unplaceable = new List<Unplaceable>();

        // Largest first: the big VMs have the fewest options, so they choose before small ones fragment the space.
        var leaving = vms
            .Where(v => string.Equals(v.Host, host, StringComparison.Ordinal))
            .OrderByDescending(v => v.Size)
            .ThenBy(v => v.Name, StringComparer.Ordinal);

        foreach (var vm in leaving)
        {
            if (free.Count == 0)
            {
                unplaceable.Add(new Unplaceable(vm.Name, vm.Size, "no other host is up and accepting VMs"));
                continue;
            }

            // The roomiest host spreads the drain across the cluster instead of filling one; if even it is too small, none fits.
            var (target, room) = free
                .OrderByDescending(kv => kv.Value)
                .ThenBy(kv => kv.Key, StringComparer.Ordinal)
                .First();

            if (room < vm.Size)
            {
                unplaceable.Add(new Unplaceable(vm.Name, vm.Size,
                    $"needs {vm.Size} bytes; the most free on any other host is {room} ({target})"));
                continue;
            }

            free[target] = room - vm.Size;
            moves.Add(new Placement(vm.Name, host, target, vm.Size));
        }

        return new EvacuationPlan(moves, unplaceable);
    }
}
