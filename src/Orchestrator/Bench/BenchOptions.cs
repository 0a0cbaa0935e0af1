using Orchestrator.Cli;

namespace Orchestrator.Bench;

/// <param name="Quick">Smaller sizes and one run each: a smoke run, not numbers to publish.</param>
public sealed record BenchOptions(bool Quick, bool Json, int Runs)
{
    public static BenchOptions Parse(IReadOnlyList<string> args)
    {
        var a = Arguments.Parse(args, ["--runs"], ["--quick", "--json"]);
        var runs = 3;
        if (a.Value("--runs") is { } text && (!int.TryParse(text, out runs) || runs is < 1 or > 20))
            throw new UsageException($"Invalid --runs '{text}': use 1 to 20");
        return new BenchOptions(a.Has("--quick"), a.Has("--json"), a.Has("--quick") ? 1 : runs);
    }
}
