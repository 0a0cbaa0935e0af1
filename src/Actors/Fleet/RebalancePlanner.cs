namespace Orchestrator.Actors.Fleet;

/// <summary>Plans a bounded number of moves that even out memory use across the hosts that accept VMs.</summary>
internal static class RebalancePlanner
{
    // Ratios are doubles; a move must win by more than rounding noise, or the planner could chase its own tail.
    private const double Epsilon = 1e-9;

    public static RebalancePlan Plan(IReadOnlyList<HostLoad> hosts, IReadOnlyList<VmLoad> vms, int maxMoves, double tolerance = 0.10)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxMoves);
        ArgumentOutOfRangeException.ThrowIfNegative(tolerance);

        // Draining and unreachable hosts neither give nor take VMs here: evacuation and recovery own them.
        var used = hosts
            .Where(h => h.Reachable && !h.Draining && h.Capacity > 0)
            .ToDictionary(h => h.Name, h => h.Used, StringComparer.Ordinal);
        var capacity = hosts
            .Where(h => used.ContainsKey(h.Name))
            .ToDictionary(h => h.Name, h => h.Capacity, StringComparer.Ordinal);
        var location = vms
            .Where(v => used.ContainsKey(v.Host))
            .ToDictionary(v => v.Name, v => v.Host, StringComparer.Ordinal);
        var sizes = vms.ToDictionary(v => v.Name, v => v.Size, StringComparer.Ordinal);

        var before = Spread(used, capacity);
        var spread = before;
        var moved = new HashSet<string>(StringComparer.Ordinal);
        var moves = new List<Placement>();

        while (moves.Count < maxMoves && spread > tolerance + Epsilon)
        {
            var fullest = used.Keys
                .OrderByDescending(h => Ratio(used, capacity, h))
                .ThenBy(h => h, StringComparer.Ordinal)
                .First();

            var best = BestMove(fullest, used, capacity, location, sizes, moved);
            if (best is null)
                break;

            var (vm, to) = best.Value;
            used[fullest] -= sizes[vm];
            used[to] += sizes[vm];
            location[vm] = to;
            moved.Add(vm);
            moves.Add(new Placement(vm, fullest, to, sizes[vm]));
            spread = Spread(used, capacity);
        }

        return new RebalancePlan(moves, before, spread);
    }

    /// <summary>
    /// The move off <paramref name="from"/> that leaves the smallest spread without overfilling its destination. With two hosts tied
    /// for fullest one move cannot lower the spread; one that keeps it and lowers the sum of squared ratios counts, as it enables the next.
    /// </summary>
    private static (string Vm, string To)? BestMove(
        string from,
        Dictionary<string, long> used,
        Dictionary<string, long> capacity,
        Dictionary<string, string> location,
        Dictionary<string, long> sizes,
        HashSet<string> moved)
    {
        var currentSpread = Spread(used, capacity);
        var currentSquares = SumOfSquares(used, capacity);
        (string Vm, string To, double Spread, double Squares)? best = null;

        var candidates = location
            .Where(kv => string.Equals(kv.Value, from, StringComparison.Ordinal) && !moved.Contains(kv.Key))
            .Select(kv => kv.Key)
            .OrderBy(vm => vm, StringComparer.Ordinal)
            .ToList();
        var destinations = used.Keys
            .Where(h => !string.Equals(h, from, StringComparison.Ordinal))
            .OrderBy(h => Ratio(used, capacity, h))
            .ThenBy(h => h, StringComparer.Ordinal)
            .ToList();

        foreach (var to in destinations)
        {
            foreach (var vm in candidates)
            {
                var size = sizes[vm];
                if (used[to] + size > capacity[to])
                    continue;

                used[from] -= size;
                used[to] += size;
                var spread = Spread(used, capacity);
                var squares = SumOfSquares(used, capacity);
                used[from] += size;
                used[to] -= size;

                var improves = spread < currentSpread - Epsilon
                    || (spread <= currentSpread + Epsilon && squares < currentSquares - Epsilon);
                // Destinations are scanned emptiest first, so on a tie the emptiest host and the first VM by name win.
                var better = best is null
                    || spread < best.Value.Spread - Epsilon
                    || (spread <= best.Value.Spread + Epsilon && squares < best.Value.Squares - Epsilon);
                if (improves && better)
                    best = (vm, to, spread, squares);
            }
        }

        return best is null ? null : (best.Value.Vm, best.Value.To);
    }

    private static double Ratio(Dictionary<string, long> used, Dictionary<string, long> capacity, string host) =>
        (double)used[host] / capacity[host];

    private static double Spread(Dictionary<string, long> used, Dictionary<string, long> capacity)
    {
        if (used.Count == 0)
            return 0;

        var ratios = used.Keys.Select(h => Ratio(used, capacity, h)).ToList();
        return ratios.Max() - ratios.Min();
    }

    private static double SumOfSquares(Dictionary<string, long> used, Dictionary<string, long> capacity) =>
        used.Keys.Sum(h => Ratio(used, capacity, h) * Ratio(used, capacity, h));
}
