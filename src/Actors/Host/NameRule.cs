using System.Text.RegularExpressions;

namespace Orchestrator.Actors.Host;

/// <summary>
/// What VMs and hosts may be called: names travel in actor paths, cluster roles, journal entries, URLs
/// and remote messages, so they are short and plain.
/// </summary>
public static partial class NameRule
{
    public const string Advice = "use 1 to 63 letters, digits, '.', '_' or '-', starting with a letter or digit";

    public static bool IsValid(string name) => Pattern().IsMatch(name);

    /// <summary>Text as an error message shows it: cut after 64 characters, so an error never echoes a whole request back.</summary>
    public static string Shown(string text) => text.Length <= 64 ? text : $"{text[..64]}... ({text.Length} characters)";

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$")]
    private static partial Regex Pattern();
}
