namespace Orchestrator.Cli.Commands;

/// <summary>What every client command gets: the API, where its output goes, and the user's interrupt.</summary>
internal sealed record ClientContext(ApiClient Api, TextWriter Out, TextWriter Err, CancellationToken Cancel)
{
    /// <summary>503 (the cluster did not answer in time) is worth a few retries while following a migration or an evacuation.</summary>
    public const int MaxUnavailableInARow = 20;

    /// <summary>The answer as the API gave it, indented: <c>--json</c> output is one JSON value and nothing else.</summary>
    public void WriteJson(JsonNode? json) => Out.WriteLine(json?.ToJsonString(Output.QueryMigrateJson.Indented) ?? "null");

    public void WriteLines(IEnumerable<string> lines)
    {
        foreach (var line in lines)
            Out.WriteLine(line);
    }

    /// <summary>A command whose only argument names a VM or host (<paramref name="what"/> says so when it is missing): one request, then what it did.</summary>
    public async Task<int> Send(IReadOnlyList<string> args, string what, Func<string, Task> request, Func<string, string> done)
    {
        var name = Arguments.Parse(args, [], [], positionals: true).WithAtMostPositionals(1).Positional(0, what);
        await request(name);
        Out.WriteLine(done(name));
        return 0;
    }

    /// <summary><c>COMMAND [--json]</c> over GET <paramref name="path"/> (an array): as given, or a table, or <paramref name="empty"/> for none.</summary>
    public async Task<int> Table(
        IReadOnlyList<string> args, string path, string what, IReadOnlyList<string> headers, Func<JsonNode?, IReadOnlyList<string>> row, string? empty = null)
    {
        var a = Arguments.Parse(args, [], ["--json"]);
        var json = await Api.Get(path, Cancel);
        if (a.Has("--json"))
            WriteJson(json);
        else if (empty is not null && json.Array(what).Count == 0)
            Out.WriteLine(empty);
        else
            WriteLines(Output.TextTable.Render(headers, json.Array(what).Select(row)));
        return 0;
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
