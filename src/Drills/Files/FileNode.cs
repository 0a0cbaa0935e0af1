namespace Orchestrator.Drills.Files;

/// <summary>A drill file's content, the same whether it was YAML or JSON, with the line each part starts on.</summary>
internal abstract record FileNode(int Line)
{
    public abstract string Kind { get; }
}

internal sealed record MapNode(int Line, IReadOnlyList<MapEntry> Entries) : FileNode(Line)
{
    public override string Kind => "a mapping";
}

internal sealed record MapEntry(string Key, int Line, FileNode Value);

internal sealed record ListNode(int Line, IReadOnlyList<FileNode> Items) : FileNode(Line)
{
    public override string Kind => "a list";
}

/// <param name="Value">The text as written; null for YAML's <c>~</c>/empty and JSON's <c>null</c>.</param>
internal sealed record ScalarNode(int Line, string? Value) : FileNode(Line)
{
    public override string Kind => Value is null ? "empty" : $"'{Value}'";
}
