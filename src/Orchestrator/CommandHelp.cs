namespace Orchestrator;

/// <summary>
/// <c>orchestrator COMMAND --help</c>: that command's lines of <see cref="Program.Usage"/> (its line and the lines indented under it),
/// so every command answers <c>--help</c> the same way, with exit code 0.
/// </summary>
internal static class CommandHelp
{
    /// <summary>The help of <paramref name="command"/>, or null when <see cref="Program.Usage"/> has no such command.</summary>
    public static string? For(string command)
    {
        var lines = Program.Usage.Split('\n');
        var help = new List<string>();
        for (var i = 0; i < lines.Length; i++)
        {
            if (!IsCommandLine(lines[i]) || !Commands(lines[i]).Contains(command))
                continue;
            help.Add(lines[i]);
            for (var j = i + 1; j < lines.Length && IsUnder(lines[j]); j++)
                help.Add(lines[j]);
        }
        var api = Cli.ClientCommands.Names.Contains(command)
            ? $"\n  --api URL (else ${Cli.ApiClient.EnvironmentVariable}, else {Cli.ApiClient.DefaultUrl}): the node to ask\n"
            : "";
        return help.Count == 0 ? null
            : $"usage: orchestrator {command} [options]\n\n{string.Join("\n", help)}\n{api}\n{ExitCodes(command)}";
    }

    /// <summary>Whether <paramref name="args"/> (before any <c>--</c>) ask for help.</summary>
    public static bool Asked(IEnumerable<string> args) => args.TakeWhile(a => a != "--").Any(a => a is "--help" or "-h");

    private static bool IsCommandLine(string line) => line.Length > 2 && line.StartsWith("  ", StringComparison.Ordinal) && char.IsLetter(line[2]);

    private static bool IsUnder(string line) => line.StartsWith("        ", StringComparison.Ordinal) && line.Trim().Length > 0;

    /// <summary>The commands a line names: <c>migrate-cancel NAME  |  migrate-continue NAME</c> names two.</summary>
    private static IEnumerable<string> Commands(string line) =>
        line.Split("  |  ").Select(part => part.Trim().Split(' ')[0]);

    private static string ExitCodes(string command) => command switch
    {
        "drill" => "exit codes: 0 passed, 1 an expectation failed, 2 invalid arguments or drill file",
        "node" => "exit codes: 0 stopped, 2 invalid settings (the message names the setting)",
        _ => "exit codes: 0 done, 1 refused, failed or cancelled, 2 invalid arguments",
    };
}
