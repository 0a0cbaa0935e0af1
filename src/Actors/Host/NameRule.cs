using System.Text.RegularExpressions;

namespace Orchestrator.Actors.Host;

/// <summary>What VMs and hosts may be called: short and plain, as names travel in actor paths, roles, journals, URLs and remote messages.</summary>
public static partial class NameRule
{
    public const string Advice = "use 1 to 63 letters, digits, '.', '_' or '-', starting with a letter or digit";

    public static bool IsValid(string name) => Pattern().IsMatch(name);

    /// <summary>Text as an error message shows it: cut after 64 characters, so an error never echoes a whole request back.</summary>
    public static string Shown(string text) => text.Length <= 64 ? text : $"{text[..64]}... ({text.Length} characters)";

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$")]
    private static partial Regex Pattern();
}

/// <summary>What a host (a node) may be called: it travels as a cluster role and in every migration request.</summary>
public static class HostName
{
    /// <summary>Why <paramref name="name"/> cannot name a host, or null when it can.</summary>
    public static string? Problem(string name) => NameRule.IsValid(name)
        ? null
        : $"Invalid host name '{NameRule.Shown(name)}': {NameRule.Advice}";
}

/// <summary>What a VM may be called: it names actors, journal entries and URLs.</summary>
public static class VmName
{
    /// <summary>Why <paramref name="name"/> cannot name a VM, or null when it can.</summary>
    public static string? Problem(string name) => NameRule.IsValid(name)
        ? null
        : $"Invalid VM name '{NameRule.Shown(name)}': {NameRule.Advice}";
}
