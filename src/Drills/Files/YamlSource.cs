using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Orchestrator.Drills.Files;

/// <summary>YAML to <see cref="FileNode"/>s, keeping lines (1-based).</summary>
internal static class YamlSource
{
    /// <exception cref="FileFormatException">The text is not YAML; the message names the line.</exception>
    public static FileNode? Parse(string text)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlException e)
        {
            throw new FileFormatException((int)e.Start.Line, $"not valid YAML: {(e.InnerException ?? e).Message}");
        }
        catch (InvalidOperationException)
        {
            // YamlDotNet's answer to a file that ends inside a flow list or mapping.
            throw new FileFormatException(text.TrimEnd().Split('\n').Length, "not valid YAML: the file ends inside a [ ] or { } that was never closed");
        }
        return stream.Documents.Count == 0 ? null : Convert(stream.Documents[0].RootNode);
    }

    private static FileNode Convert(YamlNode node)
    {
        var line = (int)node.Start.Line;
        return node switch
        {
            YamlMappingNode map => new MapNode(line, map.Children.Select(kv => new MapEntry(
                kv.Key is YamlScalarNode key ? key.Value ?? "" : throw new FileFormatException((int)kv.Key.Start.Line, "a key must be a plain name"),
                (int)kv.Key.Start.Line,
                Convert(kv.Value))).ToArray()),
            YamlSequenceNode list => new ListNode(line, list.Children.Select(Convert).ToArray()),
            YamlScalarNode scalar => new ScalarNode(line,
                scalar.Style == YamlDotNet.Core.ScalarStyle.Plain && scalar.Value is "" or "~" or "null" ? null : scalar.Value),
            _ => throw new FileFormatException(line, "aliases and other YAML features are not part of the drill format"),
        };
    }
}
