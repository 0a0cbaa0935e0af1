using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Orchestrator.Drills.Report;

/// <summary>
/// The report as one JSON object: <c>passed</c>, <c>lost</c>, <c>lost-with-host</c>, <c>double-runs</c>, <c>digest-mismatches</c> (counts), then
/// <c>steps</c>, <c>migrations</c>, <c>hosts</c>, <c>violations</c>, <c>expectations</c> and <c>errors</c>. Keys are the records' property names in
/// kebab-case like query-migrate's (<see cref="StepRecord.Text"/> is <c>step</c>; a migration's <c>phases</c> come last).
/// </summary>
public static class JsonReport
{
    private static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.KebabCaseLower,
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static string Render(DrillReport report) => Build(report).ToJsonString(Options);

    public static JsonObject Build(DrillReport report)
    {
        var inv = report.Invariants;
        return new JsonObject
        {
            ["name"] = report.Name,
            ["passed"] = report.Passed,
            ["lost"] = inv.Lost.Count,
            ["lost-with-host"] = inv.LostWithHost.Count,
            ["double-runs"] = inv.DoubleRuns.Count,
            ["digest-mismatches"] = inv.DigestMismatches,
            ["checks"] = inv.Checks,
            ["started-at"] = report.StartedAt.ToString("O"),
            ["duration-ms"] = report.DurationMs,
            ["lost-vms"] = Json(inv.Lost),
            ["lost-with-host-vms"] = Json(inv.LostWithHost),
            ["double-run-vms"] = Json(inv.DoubleRuns),
            ["steps"] = Json(report.Steps),
            ["migrations"] = Json(report.Migrations),
            ["hosts"] = Json(report.Hosts),
            ["violations"] = Json(inv.Violations),
            ["expectations"] = Json(report.Expectations),
            ["errors"] = Json(report.Errors),
        };
    }

    private static JsonNode Json<T>(IReadOnlyList<T> values) => JsonSerializer.SerializeToNode(values, Options)!;
}
