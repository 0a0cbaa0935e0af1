using System.Text;
using System.Text.Json;

namespace Orchestrator.Drills.Files;

/// <summary>JSON to <see cref="FileNode"/>s, keeping lines (1-based). Comments and trailing commas are allowed.</summary>
internal static class JsonSource
{
    /// <exception cref="FileFormatException">The text is not JSON; the message names the line.</exception>
    public static FileNode? Parse(string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        List<int> lineStarts = [0, .. bytes.Index().Where(b => b.Item == '\n').Select(b => b.Index + 1)];
        var reader = new Utf8JsonReader(bytes, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        try
        {
            return reader.Read() ? Read(ref reader, lineStarts) : null;
        }
        catch (JsonException e)
        {
            throw new FileFormatException((int)(e.LineNumber ?? 0) + 1, $"not valid JSON: {e.Message.Split(" Path:")[0].Split(" LineNumber:")[0]}");
        }
    }

    private static int LineOf(ref Utf8JsonReader reader, List<int> lineStarts)
    {
        var index = lineStarts.BinarySearch((int)reader.TokenStartIndex);
        return (index >= 0 ? index : ~index - 1) + 1;
    }

    private static FileNode Read(ref Utf8JsonReader reader, List<int> lineStarts)
    {
        var line = LineOf(ref reader, lineStarts);
        switch (reader.TokenType)
        {
            case JsonTokenType.StartObject:
                var entries = new List<MapEntry>();
                var keys = new HashSet<string>();
                while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
                {
                    var key = reader.GetString()!;
                    var keyLine = LineOf(ref reader, lineStarts);
                    if (!keys.Add(key))
                        throw new FileFormatException(keyLine, $"'{key}' is given twice");
                    reader.Read();
                    entries.Add(new MapEntry(key, keyLine, Read(ref reader, lineStarts)));
                }
                return new MapNode(line, entries);
            case JsonTokenType.StartArray:
                var items = new List<FileNode>();
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                    items.Add(Read(ref reader, lineStarts));
                return new ListNode(line, items);
            case JsonTokenType.String:
                return new ScalarNode(line, reader.GetString());
            case JsonTokenType.Null:
                return new ScalarNode(line, null);
            default: // numbers and booleans, as written
                return new ScalarNode(line, Encoding.UTF8.GetString(reader.ValueSpan));
        }
    }
}
