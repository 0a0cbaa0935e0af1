namespace Orchestrator.Api;

/// <summary>Migration settings from a body, checked with QEMU's rules on the node asked: the same 400 on any node, and nothing bad travels.</summary>
public static class MigrationInput
{
    /// <summary>QEMU parameters by name with string (or number) values, each checked by <see cref="MigrationParameters.With"/>.</summary>
    /// <exception cref="MigrationArgumentException">QEMU's text for an unknown name or a value out of range.</exception>
    public static IReadOnlyList<(string Name, string Value)> Parameters(IEnumerable<KeyValuePair<string, JsonNode?>> fields)
    {
        var changes = fields.Select(f => (f.Key, RequestBody.Text(f.Key, f.Value) ?? "")).ToArray();
        _ = changes.Aggregate(new MigrationParameters(), (p, change) => p.With(change.Key, change.Item2));
        return changes;
    }

    /// <summary>A migration's completion timeout (virsh's <c>migrate --timeout</c>): <c>30s</c>, <c>2min</c>, <c>500ms</c>, a bare number in seconds.</summary>
    /// <exception cref="ApiInputException">Not a duration, or not positive.</exception>
    public static TimeSpan Timeout(string text) =>
        Quantity.Duration(text, bare: "s") is { } t && t > TimeSpan.Zero
            ? t
            : throw new ApiInputException($"Field 'timeout' must be a positive duration: seconds (30 or 30s), minutes (2min) or milliseconds, not '{NameRule.Shown(text)}'");

    /// <summary>A comma list of capabilities that are on (<c>none</c> for all off), checked as QEMU's migrate_caps_check.</summary>
    public static MigrationCapabilities Capabilities(string list)
    {
        var caps = MigrationCapabilities.ParseList(list);
        return caps.Check() is { } error ? throw new MigrationArgumentException(error) : caps;
    }

    /// <summary>Capability names with true or false; whether the whole set holds is the host's to check, against its current set.</summary>
    public static IReadOnlyList<(string Name, bool On)> CapabilityChanges(IEnumerable<KeyValuePair<string, JsonNode?>> fields) =>
        fields.Select(f =>
        {
            var on = f.Value is JsonValue v && v.GetValueKind() is JsonValueKind.True or JsonValueKind.False
                ? v.GetValue<bool>()
                : throw new ApiInputException($"Capability '{NameRule.Shown(f.Key)}' must be true or false");
            _ = MigrationCapabilities.None.With(f.Key, on);
            return (f.Key, on);
        }).ToArray();
}
