using System.Text.Json;
using System.Text.Json.Nodes;

namespace Orchestrator.Drills.Report;

/// <summary>
/// The report as one JSON object: <c>passed</c>, <c>lost</c>, <c>lost-with-host</c>, <c>double-runs</c>,
/// <c>digest-mismatches</c> (counts), then <c>steps</c>, <c>migrations</c>, <c>hosts</c>,
/// <c>violations</c>, <c>expectations</c> and <c>errors</c>. Keys are kebab-case like query-migrate's.
/// </summary>
public static class JsonReport
{
    public static string Render(DrillReport report) => Build(report).ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });

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
            ["lost-vms"] = Strings(inv.Lost),
            ["lost-with-host-vms"] = Strings(inv.LostWithHost),
            ["double-run-vms"] = Strings(inv.DoubleRuns),
            ["steps"] = new JsonArray(report.Steps.Select(s => (JsonNode)new JsonObject
            {
                ["index"] = s.Index,
                ["step"] = s.Text,
                ["at-ms"] = s.AtMs,
                ["ended-ms"] = s.EndedMs,
                ["checks"] = s.Checks,
                ["violations"] = s.Violations,
                ["note"] = s.Note,
                ["error"] = s.Error,
            }).ToArray()),
            ["migrations"] = new JsonArray(report.Migrations.Select(m => (JsonNode)new JsonObject
            {
                ["id"] = m.Id,
                ["vm"] = m.Vm,
                ["source"] = m.Source,
                ["destination"] = m.Destination,
                ["status"] = m.Status,
                ["downtime-ms"] = m.DowntimeMs,
                ["total-time-ms"] = m.TotalTimeMs,
                ["error"] = m.Error,
                ["digest-mismatches"] = m.DigestMismatches,
                ["phases"] = new JsonArray(m.Phases.Select(p => (JsonNode)new JsonObject { ["phase"] = p.Phase, ["at-ms"] = p.AtMs }).ToArray()),
            }).ToArray()),
            ["hosts"] = new JsonArray(report.Hosts.Select(h => (JsonNode)new JsonObject
            {
                ["name"] = h.Name,
                ["fate"] = h.Fate,
                ["vms"] = Strings(h.Vms),
            }).ToArray()),
            ["violations"] = new JsonArray(inv.Violations.Select(v => (JsonNode)new JsonObject
            {
                ["at-ms"] = v.AtMs,
                ["kind"] = v.Kind,
                ["vm"] = v.Vm,
                ["detail"] = v.Detail,
            }).ToArray()),
            ["expectations"] = new JsonArray(report.Expectations.Select(e => (JsonNode)new JsonObject
            {
                ["expectation"] = e.Expectation,
                ["passed"] = e.Passed,
                ["why"] = e.Why,
            }).ToArray()),
            ["errors"] = Strings(report.Errors),
        };
    }

    private static JsonArray Strings(IEnumerable<string> values) => new(values.Select(v => (JsonNode)JsonValue.Create(v)).ToArray());
}
