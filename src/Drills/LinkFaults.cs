namespace Orchestrator.Drills;

/// <summary>Link faults (slow-link's rate, delay, loss; clear-link): null if the engine can, else why not and how; checked up front, never halfway.</summary>
public sealed record LinkFaults(string? Rate, string? Delay, string? Loss, string? Clear)
{
    /// <summary>Why <paramref name="step"/> cannot be played here, or null when it can (or is no link fault).</summary>
    public string? Problem(Step step) => step switch
    {
        SlowLinkStep slow => Join(slow.Rate is null ? null : Rate, slow.Delay is null ? null : Delay, slow.Loss is null ? null : Loss),
        ClearLinkStep => Clear,
        _ => null,
    };

    /// <summary>Every step of <paramref name="scenario"/> that cannot be played here, as <c>steps[i]: 'step' why</c>.</summary>
    public IReadOnlyList<string> Problems(Scenarios.Scenario scenario) =>
        scenario.Steps.Select((step, i) => Problem(step) is { } why ? $"steps[{i}]: '{step}' {why}" : null)
            .OfType<string>()
            .ToArray();

    private static string? Join(params string?[] reasons) =>
        reasons.OfType<string>().Distinct().ToArray() is { Length: > 0 } found ? string.Join("; ", found) : null;
}
