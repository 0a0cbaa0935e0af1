namespace Orchestrator.Drills.Files;

/// <summary>The text is not YAML or JSON at all, at <paramref name="Line"/>.</summary>
internal sealed class FileFormatException(int line, string message) : Exception(message)
{
    public int Line { get; } = line;
}
