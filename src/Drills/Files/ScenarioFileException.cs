namespace Orchestrator.Drills.Files;

/// <summary>
/// A drill file that cannot be used. Each error reads <c>FILE:LINE: PATH: what is wrong</c>, e.g.
/// <c>drill.yaml:12: steps[3].to: host 'host9' is not one of the scenario's hosts (host1, host2, host3)</c>.
/// </summary>
public sealed class ScenarioFileException(IReadOnlyList<string> errors) : Exception(string.Join(Environment.NewLine, errors))
{
    public IReadOnlyList<string> Errors { get; } = errors;
}
