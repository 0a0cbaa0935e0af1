using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Orchestrator.Cli.Commands;

/// <summary>What every client command gets: the API, where its output goes, and the user's interrupt.</summary>
internal sealed record ClientContext(ApiClient Api, TextWriter Out, TextWriter Err, CancellationToken Cancel)
{
    private static readonly JsonSerializerOptions Indented = new()
    {
        WriteIndented = true,
        // Names and error texts as the API wrote them ('don't', '<', '+'), not as \u0027 escapes.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>The answer as the API gave it, indented: <c>--json</c> output is one JSON value and nothing else.</summary>
    public void WriteJson(JsonNode? json) => Out.WriteLine(json?.ToJsonString(Indented) ?? "null");

    public void WriteLines(IEnumerable<string> lines)
    {
        foreach (var line in lines)
            Out.WriteLine(line);
    }
}

/// <summary>Reading the API's JSON for display, tolerant of a missing field (shown as empty, never a crash).</summary>
internal static class JsonFields
{
    public static string Text(this JsonNode? node, string name) => node?[name].Text() ?? "";

    /// <summary>A string as itself, anything else as its JSON.</summary>
    public static string Text(this JsonNode? node) => node switch
    {
        null => "",
        JsonValue value when value.TryGetValue<string>(out var text) => text,
        var other => other.ToJsonString(),
    };

    /// <summary>A byte count in binary units (<c>256.0 MiB</c>).</summary>
    public static string Size(this JsonNode? node, string name) =>
        node?[name] is JsonValue value && value.TryGetValue<long>(out var bytes) ? ByteUnits.Format(bytes) : node.Text(name);

    public static JsonArray Array(this JsonNode? node, string what) =>
        node as JsonArray ?? throw new FormatException($"expected {what} as a JSON array, got {node?.ToJsonString() ?? "nothing"}");

    public static JsonObject Object(this JsonNode? node, string what) =>
        node as JsonObject ?? throw new FormatException($"expected {what} as a JSON object, got {node?.ToJsonString() ?? "nothing"}");
}
