using Orchestrator.Drills.Report;
using Xunit.Sdk;

namespace Orchestrator.Testing;

/// <summary>A drill did not pass: the message lists each failed expectation with why, and each step error.</summary>
public sealed class ScenarioFailedException(DrillReport report) : XunitException(Describe(report))
{
    public DrillReport Report { get; } = report;

    private static string Describe(DrillReport report)
    {
        var lines = new List<string> { $"Drill '{report.Name}' failed:" };
        lines.AddRange(report.Expectations.Where(e => !e.Passed).Select(e => $"  expected {e.Expectation}, but {e.Why}"));
        lines.AddRange(report.Errors.Select(e => $"  error: {e}"));
        return string.Join(Environment.NewLine, lines);
    }
}
