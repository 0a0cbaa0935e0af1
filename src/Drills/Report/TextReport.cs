namespace Orchestrator.Drills.Report;

/// <summary>The report for a person: steps with their times, the invariant checks, migrations, hosts, verdicts.</summary>
public static class TextReport
{
    public static IEnumerable<string> Lines(DrillReport report)
    {
        yield return $"drill: {report.Name}  ({(report.Passed ? "PASSED" : "FAILED")} in {report.DurationMs / 1000.0:0.0} s)";
        yield return "";
        yield return "steps (ms since start):";
        foreach (var step in report.Steps)
        {
            yield return $"  [{step.AtMs,6}] {step.Index}. {step.Text}";
            if (step.Note is not null)
                yield return $"           {step.Note}";
            if (step.Error is not null)
                yield return $"           ERROR: {step.Error}";
            yield return $"           {step.Checks} invariant check(s), {(step.Violations == 0 ? "all held" : $"{step.Violations} violation(s)")}; done at {step.EndedMs} ms";
        }
        var inv = report.Invariants;
        yield return "";
        yield return $"invariants ({inv.Checks} checks):";
        yield return $"  lost: {Count(inv.Lost)}";
        yield return $"  lost-with-host: {Count(inv.LostWithHost)}";
        yield return $"  double-runs: {Count(inv.DoubleRuns)}";
        yield return $"  digest-mismatches: {inv.DigestMismatches}";
        foreach (var v in inv.Violations)
            yield return $"  [{v.AtMs,6}] {v.Kind}: {v.Vm} {v.Detail}";
        yield return "";
        yield return "migrations:";
        if (report.Migrations.Count == 0)
            yield return "  none started";
        foreach (var m in report.Migrations)
        {
            var downtime = m.DowntimeMs is { } d ? $", downtime {d} ms" : "";
            var total = m.TotalTimeMs is { } t ? $", total {t} ms" : "";
            yield return $"  {m.Vm} {m.Source} -> {m.Destination}: {m.Status}{downtime}{total}";
            // The netns engine does not see phases (they happen in other processes): no empty line for them.
            if (m.Phases.Count > 0)
                yield return $"      phases: {string.Join(", ", m.Phases.Select(p => $"{p.Phase} at {p.AtMs} ms"))}";
            if (m.Error is not null)
                yield return $"      error: {m.Error}";
        }
        yield return "";
        yield return "hosts at the end:";
        foreach (var h in report.Hosts)
            yield return $"  {h.Name} ({h.Fate}): {(h.Vms.Count == 0 ? "no VM" : string.Join(", ", h.Vms))}";
        yield return "";
        yield return "expectations:";
        foreach (var e in report.Expectations)
            yield return $"  [{(e.Passed ? "pass" : "FAIL")}] {e.Expectation}: {e.Why}";
        foreach (var error in report.Errors)
            yield return $"  [FAIL] {error}";
    }

    private static string Count(IReadOnlyList<string> vms) => vms.Count == 0 ? "0" : $"{vms.Count} ({string.Join(", ", vms)})";
}
