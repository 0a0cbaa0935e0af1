namespace Orchestrator.Actors.Host;

/// <summary>What a host (a node) may be called: it travels as a cluster role and in every migration request.</summary>
public static class HostName
{
    /// <summary>Why <paramref name="name"/> cannot name a host, or null when it can.</summary>
    public static string? Problem(string name) => NameRule.IsValid(name)
        ? null
        : $"Invalid host name '{NameRule.Shown(name)}': {NameRule.Advice}";
}
