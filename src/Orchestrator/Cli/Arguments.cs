namespace Orchestrator.Cli;

/// <summary>
/// <c>--name value</c>, <c>--name=value</c> and bare <c>--flag</c> switches. Unknown options are errors,
/// so a typo never silently runs with defaults.
/// </summary>
public sealed class Arguments
{
    private readonly Dictionary<string, string> _values = [];
    private readonly HashSet<string> _switches = [];

    private Arguments()
    {
    }

    public static Arguments Parse(IReadOnlyList<string> args, IReadOnlyCollection<string> valueOptions, IReadOnlyCollection<string> switchOptions)
    {
        var parsed = new Arguments();
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (!arg.StartsWith("--", StringComparison.Ordinal))
                throw new UsageException($"Unexpected argument '{arg}'");
            var name = arg;
            string? value = null;
            var eq = arg.IndexOf('=');
            if (eq > 0)
            {
                name = arg[..eq];
                value = arg[(eq + 1)..];
            }
            if (switchOptions.Contains(name))
            {
                if (value is not null)
                    throw new UsageException($"Option {name} takes no value");
                parsed._switches.Add(name);
                continue;
            }
            if (!valueOptions.Contains(name))
                throw new UsageException($"Unknown option '{name}' (known: {string.Join(", ", valueOptions.Concat(switchOptions).Order())})");
            if (value is null)
            {
                if (i + 1 >= args.Count)
                    throw new UsageException($"Option {name} needs a value");
                value = args[++i];
            }
            parsed._values[name] = value;
        }
        return parsed;
    }

    public bool Has(string name) => _switches.Contains(name);

    public string? Value(string name) => _values.GetValueOrDefault(name);
}
