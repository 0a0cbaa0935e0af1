namespace Orchestrator.Cli.Commands;

/// <summary><c>rebalance [--max-moves N] [--json]</c>: the fleet plans moves that even out memory use, and runs them.</summary>
internal static class RebalanceCommand
{
    public static async Task<int> Run(IReadOnlyList<string> args, ClientContext c)
    {
        var a = Arguments.Parse(args, ["--max-moves"], ["--json"], positionals: true).WithAtMostPositionals(0);
        var maxMoves = 10;
        if (a.Value("--max-moves") is { } text && (!int.TryParse(text, out maxMoves) || maxMoves is < 1 or > 1000))
            throw new UsageException($"Invalid --max-moves '{text}': use 1 to 1000");
        var plan = (await c.Api.Post("/rebalance", new JsonObject { ["max-moves"] = maxMoves }, c.Cancel))?.AsObject() ?? [];
        if (a.Has("--json"))
        {
            c.WriteJson(plan);
            return 0;
        }
        var moves = plan["moves"]?.AsArray() ?? [];
        c.Out.WriteLine($"spread of memory use across hosts: {(double?)plan["spread-before"] ?? 0:P0} now, " +
                        $"{(double?)plan["spread-after"] ?? 0:P0} after {moves.Count} move(s) (bound {(double?)plan["bound"] ?? 0:P0})");
        foreach (var move in moves)
            c.Out.WriteLine($"  {(string?)move!["vm"]}: {(string?)move["from"]} -> {(string?)move["to"]} ({ByteUnits.Format((long?)move["size"] ?? 0)})");
        if (moves.Count > 0)
            c.Out.WriteLine("follow them with 'orchestrator migrations'");
        return 0;
    }
}
