namespace Orchestrator.Drills.Report;

/// <summary>Each expectation against what a drill saw, with the reason in words either way.</summary>
public static class Verdicts
{
    /// <param name="locations">Per VM, the living hosts holding it at the end, and its state there.</param>
    public static IReadOnlyList<ExpectationResult> Judge(
        IEnumerable<Expectation> expectations,
        InvariantSummary invariants,
        IReadOnlyList<MigrationRecord> migrations,
        IReadOnlyList<HostRecord> hosts,
        IReadOnlyDictionary<string, IReadOnlyList<(string Host, string State)>> locations) =>
        expectations.Select(e => e switch
        {
            CountIs count => Count(count, invariants),
            VmOnHost on => On(on, locations),
            MigrationEnds ends => Ends(ends, migrations),
            HostEmpty empty => Empty(empty, hosts),
            _ => new ExpectationResult(e.ToString()!, false, "this engine cannot judge this expectation"),
        }).ToArray();

    private static ExpectationResult Count(CountIs expected, InvariantSummary invariants)
    {
        var (actual, names) = expected.Counter switch
        {
            Counter.Lost => (invariants.Lost.Count, invariants.Lost),
            Counter.LostWithHost => (invariants.LostWithHost.Count, invariants.LostWithHost),
            Counter.DoubleRuns => (invariants.DoubleRuns.Count, invariants.DoubleRuns),
            _ => (invariants.DigestMismatches, []),
        };
        var seen = actual == 0 ? "none" : names.Count > 0 ? $"{actual}: {string.Join(", ", names)}" : $"{actual}";
        return new ExpectationResult(expected.ToString(), actual == expected.Value, $"{CountIs.Name(expected.Counter)} {seen}");
    }

    private static ExpectationResult On(VmOnHost expected, IReadOnlyDictionary<string, IReadOnlyList<(string Host, string State)>> locations)
    {
        var copies = locations.TryGetValue(expected.Vm, out var found) ? found : [];
        var seen = copies.Count == 0 ? $"{expected.Vm} is on no living host" : $"{expected.Vm} is on {string.Join(" and ", copies.Select(c => $"{c.Host} ({c.State})"))}";
        var passed = copies.Count == 1 && copies[0].Host == expected.Host && (expected.State is null || copies[0].State == expected.State);
        return new ExpectationResult(expected.ToString(), passed, seen);
    }

    private static ExpectationResult Ends(MigrationEnds expected, IReadOnlyList<MigrationRecord> migrations)
    {
        var latest = migrations.LastOrDefault(m => m.Vm == expected.Vm);
        if (latest is null)
            return new ExpectationResult(expected.ToString(), false, $"no migration of {expected.Vm} started");
        var passed = expected.Outcomes.Any(o => o.Name() == latest.Status);
        var why = $"its latest migration ({latest.Source} to {latest.Destination}) ended {latest.Status}{(latest.Error is { } e ? $": {e}" : "")}";
        return new ExpectationResult(expected.ToString(), passed, why);
    }

    private static ExpectationResult Empty(HostEmpty expected, IReadOnlyList<HostRecord> hosts)
    {
        var host = hosts.FirstOrDefault(h => h.Name == expected.Host);
        if (host is null)
            return new ExpectationResult(expected.ToString(), false, $"{expected.Host} is not a host of this drill");
        if (host.Fate != "alive")
            return new ExpectationResult(expected.ToString(), true, $"{expected.Host} was {host.Fate}: it holds nothing");
        return new ExpectationResult(expected.ToString(), host.Vms.Count == 0,
            host.Vms.Count == 0 ? $"{expected.Host} holds no VM" : $"{expected.Host} still holds {string.Join(", ", host.Vms)}");
    }
}
