namespace Orchestrator.Cli.Commands;

/// <summary><c>orchestrator migrations [--json]</c>: the fleet's running, queued and recent migrations (GET /migrations), newest first.</summary>
internal static class MigrationsCommand
{
    public static Task<int> Run(IReadOnlyList<string> args, ClientContext c) => c.Table(args, "/migrations", "migrations",
        ["ID", "VM", "SOURCE", "DESTINATION", "STATUS", "PERCENT", "TRANSFERRED", "REMAINING", "ITERATION", "KIND", "REASON"],
        m =>
        [
            m.Text("id"), m.Text("vm"), m.Text("source"), m.Text("destination"), m.Text("status"), Percent(m),
            Cell(m.Size("transferred")), Cell(m.Size("remaining")), Cell(m.Text("iteration")), m.Text("kind"), Cell(m.Text("reason")),
        ],
        "no migrations: start one with 'orchestrator migrate NAME --to HOST' or 'orchestrator evacuate HOST'");

    private static string Percent(JsonNode? m) => m.Text("percent") is { Length: > 0 } p ? p + "%" : "-";

    /// <summary>A field the API left out or null (a queued migration's counters, a reason that is not there) as "-".</summary>
    private static string Cell(string text) => text.Length == 0 ? "-" : text;
}
