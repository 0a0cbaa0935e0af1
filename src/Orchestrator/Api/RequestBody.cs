using System.Text.Json;
using System.Text.Json.Nodes;
using Orchestrator.Cli;

namespace Orchestrator.Api;

/// <summary>Reads a JSON request body; every problem becomes an <see cref="ApiInputException"/> naming the field.</summary>
public sealed class RequestBody(JsonObject body)
{
    public static async Task<RequestBody> Read(HttpRequest request)
    {
        try
        {
            var node = await JsonNode.ParseAsync(request.Body);
            return node is JsonObject body ? new RequestBody(body) : throw new ApiInputException("The request body must be a JSON object");
        }
        catch (JsonException e)
        {
            throw new ApiInputException($"Malformed JSON body: {e.Message}");
        }
    }

    public IEnumerable<KeyValuePair<string, JsonNode?>> Fields => body;

    public string Required(string field) =>
        Text(field) is { Length: > 0 } value ? value : throw new ApiInputException($"Field '{field}' is required");

    public string? Text(string field) => body[field] switch
    {
        null => null,
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        JsonValue v => v.ToJsonString(),
        _ => throw new ApiInputException($"Field '{field}' must be a string or a number"),
    };

    public long Size(string field, long fallback) => Text(field) is { } text ? Wrap(() => ByteUnits.ParseSize(text, field)) : fallback;

    public long Rate(string field, long fallback) => Text(field) is { } text ? Wrap(() => ByteUnits.ParseRate(text, field)) : fallback;

    public TimeSpan Duration(string field, TimeSpan fallback) => Text(field) is { } text ? Wrap(() => ByteUnits.ParseDuration(text, field)) : fallback;

    public JsonObject? Object(string field) => body[field] switch
    {
        null => null,
        JsonObject o => o,
        _ => throw new ApiInputException($"Field '{field}' must be an object"),
    };

    private static T Wrap<T>(Func<T> parse)
    {
        try
        {
            return parse();
        }
        catch (UsageException e)
        {
            throw new ApiInputException(e.Message);
        }
    }
}
