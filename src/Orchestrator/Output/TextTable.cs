namespace Orchestrator.Output;

/// <summary>Left-aligned columns two spaces apart, each as wide as its widest cell: what <c>hosts</c> and <c>vm list</c> print.</summary>
public static class TextTable
{
    public static IEnumerable<string> Render(IReadOnlyList<string> headers, IEnumerable<IReadOnlyList<string>> rows)
    {
        var all = rows.Prepend(headers).ToList();
        var widths = headers.Select((_, column) => all.Max(row => row[column].Length)).ToArray();
        return all.Select(row => string.Join("  ", row.Select((cell, column) => cell.PadRight(widths[column]))).TrimEnd());
    }
}
