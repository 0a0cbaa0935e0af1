namespace Orchestrator.Cli;

/// <summary><c>--name value</c>, <c>--name=value</c>, <c>--flag</c> and positionals; an unknown option is an error, so a typo never runs with defaults.</summary>
public sealed class Arguments
{
    private readonly Dictionary<string, List<string>> _values = [];
    private readonly HashSet<string> _switches = [];
    private readonly List<string> _positionals = [];

    private Arguments()
    {
    }

    /// <param name="positionals">Non-options go to <see cref="Positionals"/> (all after a bare <c>--</c>, for names like <c>--x</c>), else errors.</param>
    public static Arguments Parse(
        IReadOnlyList<string> args, IReadOnlyCollection<string> valueOptions, IReadOnlyCollection<string> switchOptions, bool positionals = false)
    {
        var parsed = new Arguments();
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (positionals && arg == "--")
            {
                parsed._positionals.AddRange(args.Skip(i + 1));
                break;
            }
            if (!arg.StartsWith("--", StringComparison.Ordinal))
            {
                if (!positionals)
                    throw new UsageException($"Unexpected argument '{arg}'");
                parsed._positionals.Add(arg);
                continue;
            }
            var eq = arg.IndexOf('=');
            var (name, value) = eq > 0 ? (arg[..eq], arg[(eq + 1)..]) : (arg, (string?)null);
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
            if (!parsed._values.TryGetValue(name, out var values))
                parsed._values[name] = values = [];
            values.Add(value);
        }
        return parsed;
    }

    public IReadOnlyList<string> Positionals => _positionals;

    public bool Has(string name) => _switches.Contains(name);

    /// <summary>The option's value; when it was given more than once, the last one (a later flag overrides).</summary>
    public string? Value(string name) => _values.TryGetValue(name, out var values) ? values[^1] : null;

    /// <summary>Every value of a repeatable option, in order; empty when it was not given.</summary>
    public IReadOnlyList<string> Values(string name) => _values.TryGetValue(name, out var values) ? values : [];

    /// <summary>The positional argument at <paramref name="index"/>, or a usage error naming what is missing.</summary>
    public string Positional(int index, string what) =>
        index < _positionals.Count ? _positionals[index] : throw new UsageException($"Missing {what}");

    /// <summary>A usage error when more than <paramref name="count"/> positional arguments were given.</summary>
    public Arguments WithAtMostPositionals(int count) =>
        _positionals.Count <= count ? this : throw new UsageException($"Unexpected argument '{_positionals[count]}'");

    public string Required(string name) => Value(name) ?? throw new UsageException($"Missing option {name}");
}
