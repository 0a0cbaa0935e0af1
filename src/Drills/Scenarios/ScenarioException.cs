namespace Orchestrator.Drills.Scenarios;

/// <summary>A scenario that cannot run: each error names where (e.g. <c>steps[3].to</c>) and what to change.</summary>
public sealed class ScenarioException(IReadOnlyList<string> errors)
    : Exception(string.Join(Environment.NewLine, errors))
{
    public IReadOnlyList<string> Errors { get; } = errors;
}

/// <param name="Path">Where in the scenario, in the file's terms: <c>steps[3].to</c>, <c>vms[0].host</c>.</param>
public sealed record ScenarioError(string Path, string Message)
{
    public override string ToString() => $"{Path}: {Message}";
}
