using System.Text.Json.Serialization;

namespace Orchestrator.Drills.Report;

/// <summary>One drill's outcome: steps and when, what invariant checks saw, how migrations ended, verdicts. Times are ms since the drill started.</summary>
public sealed record DrillReport(
    string Name,
    bool Passed,
    DateTimeOffset StartedAt,
    long DurationMs,
    IReadOnlyList<StepRecord> Steps,
    IReadOnlyList<MigrationRecord> Migrations,
    IReadOnlyList<HostRecord> Hosts,
    InvariantSummary Invariants,
    IReadOnlyList<ExpectationResult> Expectations,
    IReadOnlyList<string> Errors);

/// <param name="Checks">Invariant checks made while the step ran and right after it.</param>
/// <param name="Note">What the step got back, e.g. the admitted migration's id.</param>
/// <param name="Error">Why the step could not do what it says; any error fails the drill.</param>
public sealed record StepRecord(int Index, [property: JsonPropertyName("step")] string Text, long AtMs, long EndedMs, int Checks, int Violations, string? Note, string? Error);

/// <param name="Status">completed, failed, cancelled, or <c>unknown</c> when its source host died before it ended.</param>
/// <param name="DowntimeMs">query-migrate's downtime, for a completed migration.</param>
public sealed record MigrationRecord(
    string Id,
    string Vm,
    string Source,
    string Destination,
    string Status,
    long? DowntimeMs,
    long? TotalTimeMs,
    string? Error,
    [property: JsonPropertyOrder(1)] IReadOnlyList<PhaseRecord> Phases,
    int DigestMismatches);

public sealed record PhaseRecord(string Phase, long AtMs);

/// <param name="Fate">alive, killed (by the scenario) or died (on its own, e.g. downed by the cluster).</param>
/// <param name="Vms">VMs on the host at the end, as <c>name (state)</c>.</param>
public sealed record HostRecord(string Name, string Fate, IReadOnlyList<string> Vms);

/// <param name="Lost">VMs that vanished from every living host, other than with a host the scenario killed.</param>
/// <param name="LostWithHost">VMs whose running or only copy was on a host the scenario killed, as <c>vm (host)</c>.</param>
/// <param name="DoubleRuns">VMs seen running on two hosts at once.</param>
public sealed record InvariantSummary(
    int Checks,
    IReadOnlyList<string> Lost,
    IReadOnlyList<string> LostWithHost,
    IReadOnlyList<string> DoubleRuns,
    int DigestMismatches,
    IReadOnlyList<Violation> Violations);

/// <param name="Kind"><c>lost</c> or <c>double-run</c>.</param>
public sealed record Violation(long AtMs, string Kind, string Vm, string Detail);

public sealed record ExpectationResult(string Expectation, bool Passed, string Why);
