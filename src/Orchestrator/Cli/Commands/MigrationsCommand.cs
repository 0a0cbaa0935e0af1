using System.Text.Json.Nodes;
using Orchestrator.Output;

namespace Orchestrator.Cli.Commands;

/// <summary><c>orchestrator migrations [--json]</c>: the fleet's running, queued and recent migrations (GET /migrations), newest first.</summary>
internal static class MigrationsCommand
{
    public static async Task<int> Run(IReadOnlyList<string> args, ClientContext c)
    {
        var a = Arguments.Parse(args, [], ["--json"]);
        var migrations = await c.Api.Get("/migrations", c.Cancel);
        if (a.Has("--json"))
        {
            c.WriteJson(migrations);
            return 0;
        }
        var list = migrations.Array("migrations");
        if (list.Count == 0)
        {
            c.Out.WriteLine("no migrations: start one with 'orchestrator migrate NAME --to HOST' or 'orchestrator evacuate HOST'");
            return 0;
        }
        c.WriteLines(TextTable.Render(
            ["ID", "VM", "SOURCE", "DESTINATION", "STATUS", "PERCENT", "TRANSFERRED", "REMAINING", "ITERATION", "KIND", "REASON"],
            list.Select(m => (IReadOnlyList<string>)
            [
                m.Text("id"), m.Text("vm"), m.Text("source"), m.Text("destination"), m.Text("status"), Percent(m),
                Cell(m.Size("transferred")), Cell(m.Size("remaining")), Cell(m.Text("iteration")), m.Text("kind"), Cell(m.Text("reason")),
            ])));
        return 0;
    }

    private static string Percent(JsonNode? m) => m.Text("percent") is { Length: > 0 } p ? p + "%" : "-";

    /// <summary>A field the API left out or null (a queued migration's counters, a reason that is not there) as "-".</summary>
    private static string Cell(string text) => text.Length == 0 ? "-" : text;
}
