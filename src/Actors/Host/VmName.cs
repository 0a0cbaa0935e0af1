namespace Orchestrator.Actors.Host;

/// <summary>What a VM may be called: it names actors, journal entries and URLs.</summary>
public static class VmName
{
    /// <summary>Why <paramref name="name"/> cannot name a VM, or null when it can.</summary>
    public static string? Problem(string name) => NameRule.IsValid(name)
        ? null
        : $"Invalid VM name '{NameRule.Shown(name)}': {NameRule.Advice}";
}
