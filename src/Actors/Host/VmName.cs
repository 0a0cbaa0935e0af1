using System.Text.RegularExpressions;

namespace Orchestrator.Actors.Host;

/// <summary>What a VM may be called: it names actors, journal entries and URLs.</summary>
public static partial class VmName
{
    /// <summary>Why <paramref name="name"/> cannot name a VM, or null when it can.</summary>
    public static string? Problem(string name) => Pattern().IsMatch(name)
        ? null
        : $"Invalid VM name '{name}': use 1 to 63 letters, digits, '.', '_' or '-', starting with a letter or digit";

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$")]
    private static partial Regex Pattern();
}
