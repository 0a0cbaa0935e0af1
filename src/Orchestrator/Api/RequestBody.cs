using System.Text.Unicode;

namespace Orchestrator.Api;

/// <summary>A JSON request body: each problem is an <see cref="ApiInputException"/> naming the field (400), past <see cref="MaxBytes"/> a 413.</summary>
public sealed class RequestBody(JsonObject body)
{
    /// <summary>64 KiB: far above any real request, far below the 4 MiB remoting frame, so no value from a body makes a message the cluster drops.</summary>
    public const int MaxBytes = 64 * 1024;

    private static readonly JsonDocumentOptions Strict = new() { AllowDuplicateProperties = false, MaxDepth = 16 };

    /// <summary>A JSON object with only <paramref name="known"/> fields (none given: any field).</summary>
    public static async Task<RequestBody> Read(HttpRequest request, params string[] known) =>
        Parse(await Bytes(request), known);

    /// <summary>As <see cref="Read"/>, but an empty body is an empty object: for bodies that are optional.</summary>
    public static async Task<RequestBody> ReadOptional(HttpRequest request, params string[] known) =>
        await Bytes(request) is { Length: > 0 } bytes ? Parse(bytes, known) : new RequestBody([]);

    /// <summary>A body's bytes, read up to <see cref="MaxBytes"/> whether or not it says its length (a longer stated one never gets here).</summary>
    private static async Task<byte[]> Bytes(HttpRequest request)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, request.HttpContext.RequestAborted)) > 0)
        {
            if (buffer.Length + read > MaxBytes)
                throw new ApiPayloadTooLargeException();
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }

    /// <summary>Parses and reads every name and string once, so nothing malformed waits inside for a later read.</summary>
    public static RequestBody Parse(byte[] bytes, params string[] known)
    {
        if (!Utf8.IsValid(bytes))
            throw new ApiInputException("Malformed JSON body: it is not valid UTF-8");
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(bytes, documentOptions: Strict);
            Touch(node);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            throw new ApiInputException($"Malformed JSON body: {e.Message}");
        }
        if (node is not JsonObject body)
            throw new ApiInputException("The request body must be a JSON object");
        if (known.Length > 0 && body.Select(f => f.Key).FirstOrDefault(k => !known.Contains(k)) is { } unknown)
            throw new ApiInputException($"Unknown field '{NameRule.Shown(unknown)}' (known: {string.Join(", ", known)})");
        return new RequestBody(body);
    }

    private static void Touch(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject o:
                foreach (var (_, value) in o)
                    Touch(value);
                break;
            case JsonArray a:
                foreach (var item in a)
                    Touch(item);
                break;
            case JsonValue v when v.GetValueKind() == JsonValueKind.String:
                v.GetValue<string>();
                break;
        }
    }

    public IEnumerable<KeyValuePair<string, JsonNode?>> Fields => body;

    public string Required(string field) =>
        Text(field) is { Length: > 0 } value ? value : throw new ApiInputException($"Field '{field}' is required");

    /// <summary>A string or a number, as text; null when absent or JSON null.</summary>
    public string? Text(string field) => Text(field, body[field]);

    /// <summary>A field's value as text: a string, or a number as written; anything else is refused, naming the field.</summary>
    public static string? Text(string field, JsonNode? value) => value switch
    {
        null => null,
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        JsonValue v when v.GetValueKind() == JsonValueKind.Number => v.ToJsonString(),
        _ => throw new ApiInputException($"Field '{NameRule.Shown(field)}' must be a string or a number"),
    };

    /// <summary>true or false (also as the strings "true" and "false"); null when absent.</summary>
    public bool? Bool(string field) => body[field] switch
    {
        null => null,
        JsonValue v when v.GetValueKind() is JsonValueKind.True or JsonValueKind.False => v.GetValue<bool>(),
        JsonValue v when v.GetValueKind() == JsonValueKind.String && bool.TryParse(v.GetValue<string>(), out var b) => b,
        _ => throw new ApiInputException($"Field '{NameRule.Shown(field)}' must be true or false"),
    };

    public long Size(string field, long fallback) => Parsed(field, Quantity.Size, ByteUnits.SizeProblem) ?? fallback;

    public long Rate(string field, long fallback) => Parsed(field, Quantity.Rate, ByteUnits.RateProblem) ?? fallback;

    public TimeSpan Duration(string field, TimeSpan fallback) => Parsed(field, Quantity.Duration, (text, option) => ByteUnits.DurationProblem(text, option)) ?? fallback;

    /// <summary>Null when absent; the command line's text when malformed.</summary>
    private T? Parsed<T>(string field, Func<string, T?> parse, Func<string, string, string?> problem) where T : struct =>
        Text(field) is { } text ? parse(text) ?? throw new ApiInputException(problem(text, field)!) : null;

    public JsonObject? Object(string field) => body[field] switch
    {
        null => null,
        JsonObject o => o,
        _ => throw new ApiInputException($"Field '{field}' must be an object"),
    };
}
