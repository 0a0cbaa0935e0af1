namespace Orchestrator.Node;

/// <summary><c>node</c>'s flags as configuration keys: flags, environment (<c>ORCHESTRATOR__NAME</c>) and appsettings.json meet, flags winning.</summary>
public static class NodeFlags
{
    public const string Section = "Orchestrator";

    private static readonly Dictionary<string, string> Keys = new()
    {
        ["--name"] = "Name",
        ["--hostname"] = "Hostname",
        ["--port"] = "Port",
        ["--api"] = "Api",
        ["--capabilities"] = "Capabilities",
        ["--capacity"] = "Capacity",
        ["--data-dir"] = "DataDir",
    };

    public static IReadOnlyDictionary<string, string?> ToConfiguration(IReadOnlyList<string> args)
    {
        var values = new Dictionary<string, string?>();
        var seeds = 0;
        for (var i = 0; i < args.Count; i++)
        {
            var (name, value) = Split(args, ref i);
            if (name == "--seed")
                values[$"{Section}:Seeds:{seeds++}"] = value;
            else if (Keys.TryGetValue(name, out var key))
                values[$"{Section}:{key}"] = value;
            else
                throw new UsageException($"Unknown option '{name}' for node (known: --name, --hostname, --port, --seed, --api, --capabilities, --capacity, --data-dir)");
        }
        return values;
    }

    private static (string Name, string Value) Split(IReadOnlyList<string> args, ref int i)
    {
        var arg = args[i];
        if (!arg.StartsWith("--", StringComparison.Ordinal))
            throw new UsageException($"Unexpected argument '{arg}'");
        var eq = arg.IndexOf('=');
        if (eq > 0)
            return (arg[..eq], arg[(eq + 1)..]);
        if (i + 1 >= args.Count)
            throw new UsageException($"Option {arg} needs a value");
        return (arg, args[++i]);
    }
}
