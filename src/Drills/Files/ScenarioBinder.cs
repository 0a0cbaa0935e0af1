using System.Globalization;
using Orchestrator.Devices.Units;

namespace Orchestrator.Drills.Files;

/// <summary>File nodes to a <see cref="Scenarios.Scenario"/>, errors with line and field; unknown fields too, so a typo never changes a drill.</summary>
internal sealed class ScenarioBinder
{
    private static readonly string[] TopFields = ["name", "hosts", "vms", "steps", "expect"];
    private static readonly string[] HostFields = ["name", "capacity"];
    private static readonly string[] VmFields = ["name", "host", "ram", "dirty-rate", "vfio", "vfio-alloc", "vfio-never-acks", "vgpu"];
    private static readonly string[] ExpectFields = ["lost", "lost-with-host", "double-runs", "digest-mismatches", "vms", "migrations", "empty"];

    /// <summary>Each step kind and the fields it takes besides its own.</summary>
    private static readonly Dictionary<string, string[]> StepFields = new()
    {
        ["migrate"] = ["to", "capabilities", "parameters"],
        ["evacuate"] = [],
        ["corrupt"] = [],
        ["kill"] = ["at", "of", "within"],
        ["partition"] = [],
        ["heal"] = [],
        ["slow-link"] = ["delay", "rate", "loss"],
        ["clear-link"] = [],
        ["wait"] = [],
        ["wait-for-migration"] = ["within"],
        ["wait-for-empty"] = ["within"],
    };

    private readonly List<(int Line, string Path, string Message)> _errors = [];
    private readonly Dictionary<string, int> _lines = [];

    public IReadOnlyList<(int Line, string Path, string Message)> Errors => _errors;

    /// <summary>The line a path's value is on, for errors found after binding; the nearest enclosing path's otherwise.</summary>
    public int LineOf(string path)
    {
        for (var p = path; p.Length > 0; p = Parent(p))
        {
            if (_lines.TryGetValue(p, out var line))
                return line;
        }
        return 1;
    }

    private static string Parent(string path)
    {
        var cut = Math.Max(path.LastIndexOf('.'), path.LastIndexOf('['));
        return cut <= 0 ? "" : path[..cut];
    }

    public Scenarios.Scenario? Bind(FileNode? root)
    {
        if (root is null)
        {
            Error(1, "", "the file is empty: a drill needs at least name, hosts and steps (see docs/drills.md)");
            return null;
        }
        var top = Map(root, "", TopFields);
        if (top is null)
            return null;
        var name = Text(top, "name", "", required: true) ?? "";
        var hosts = List(top, "hosts", "", required: true).Select((n, i) => Host(n, $"hosts[{i}]")).OfType<HostDefinition>().ToArray();
        var vms = List(top, "vms", "", required: false).Select((n, i) => Vm(n, $"vms[{i}]")).OfType<VmDefinition>().ToArray();
        var steps = List(top, "steps", "", required: true).Select((n, i) => Step(n, $"steps[{i}]")).OfType<Step>().ToArray();
        var expect = Field(top, "expect", "") is { } e ? Expectations(e, "expect") : [];
        return new Scenarios.Scenario(name, hosts, vms, steps, expect);
    }

    // ---- sections ---------------------------------------------------------------------------

    private HostDefinition? Host(FileNode node, string path)
    {
        Remember(path, node.Line);
        if (node is ScalarNode { Value: { } plain })
        {
            Remember($"{path}.name", node.Line);
            return new HostDefinition(plain);
        }
        var map = Map(node, path, HostFields, "a host name or a mapping with name and capacity");
        if (map is null)
            return null;
        var name = Text(map, "name", path, required: true);
        var capacity = Value(map, "capacity", path, Quantity.Size, "a size like 4GiB") ?? HostDefinition.DefaultCapacity;
        return name is null ? null : new HostDefinition(name, capacity);
    }

    private VmDefinition? Vm(FileNode node, string path)
    {
        var map = Map(node, path, VmFields);
        if (map is null)
            return null;
        var name = Text(map, "name", path, required: true);
        var host = Text(map, "host", path, required: true);
        var vm = new VmDefinition(
            name ?? "",
            host ?? "",
            Value(map, "ram", path, Quantity.Size, "a size like 32MiB") ?? VmDefinition.DefaultRam,
            Value(map, "dirty-rate", path, Quantity.Rate, "a rate like 4MiB/s") ?? VmDefinition.DefaultDirtyRate,
            Value(map, "vfio", path, Quantity.Size, "a size like 8MiB (0 leaves the VF out)") ?? 0,
            Value(map, "vfio-alloc", path, Quantity.Duration, "a duration like 300ms"),
            Flag(map, "vfio-never-acks", path),
            Value(map, "vgpu", path, Quantity.Size, "a size like 8MiB (0 leaves it out)") ?? 0);
        return name is null || host is null ? null : vm;
    }

    private Step? Step(FileNode node, string path)
    {
        Remember(path, node.Line);
        if (node is not MapNode map)
        {
            Error(node.Line, path, $"a step is a mapping like 'migrate: web' with 'to: host2', not {node.Kind}");
            return null;
        }
        var verbs = map.Entries.Where(e => StepFields.ContainsKey(e.Key)).ToArray();
        if (verbs.Length != 1)
        {
            Error(map.Line, path, verbs.Length == 0
                ? $"say what the step does with one of: {string.Join(", ", StepFields.Keys)}"
                : $"one step does one thing; this one says {string.Join(" and ", verbs.Select(v => v.Key))} (make them separate steps)");
            return null;
        }
        var verb = verbs[0].Key;
        Unknown(map, path, [verb, .. StepFields[verb]], $"a '{verb}' step");
        Remember($"{path}.{verb}", verbs[0].Value.Line);
        switch (verb)
        {
            case "migrate":
                {
                    var vm = Text(map, "migrate", path, required: true);
                    var to = Text(map, "to", path, required: true);
                    var capabilities = Capabilities(map, path);
                    var parameters = Parameters(map, path);
                    return vm is null || to is null ? null : new MigrateStep(vm, to, parameters, capabilities);
                }
            case "evacuate":
                return Text(map, "evacuate", path, required: true) is { } evacuated ? new EvacuateStep(evacuated) : null;
            case "corrupt":
                return Text(map, "corrupt", path, required: true) is { } corrupted ? new CorruptStep(corrupted) : null;
            case "kill":
                {
                    var victim = Text(map, "kill", path, required: true);
                    var at = Text(map, "at", path, required: false);
                    MigrationPhase? phase = null;
                    if (at is not null)
                    {
                        if (MigrationPhaseNames.ByName.TryGetValue(at, out var known))
                            phase = known;
                        else
                            Error(LineOf($"{path}.at"), $"{path}.at", $"'{at}' is not a phase: use one of {string.Join(", ", MigrationPhaseNames.ByName.Keys)}");
                    }
                    var of = Text(map, "of", path, required: false);
                    var within = Value(map, "within", path, Quantity.Duration, "a duration like 20s");
                    return victim is null ? null : new KillStep(victim, phase, of, within);
                }
            case "partition":
                return Pair(map, "partition", path) is { } cut ? new PartitionStep(cut.A, cut.B) : null;
            case "heal":
                return Pair(map, "heal", path) is { } heal ? new HealStep(heal.A, heal.B) : null;
            case "slow-link":
                return Pair(map, "slow-link", path) is { } slow
                    ? new SlowLinkStep(slow.A, slow.B,
                        Value(map, "delay", path, Quantity.Duration, "a duration like 50ms"),
                        Value(map, "rate", path, Quantity.Rate, "a rate like 10MiB/s"),
                        Value(map, "loss", path, Ratio, "a ratio like 0.05 or 5%"))
                    : null;
            case "clear-link":
                return Pair(map, "clear-link", path) is { } clear ? new ClearLinkStep(clear.A, clear.B) : null;
            case "wait":
                return Value(map, "wait", path, Quantity.Duration, "a duration like 2s") is { } duration ? new WaitStep(duration) : null;
            case "wait-for-migration":
                return Text(map, "wait-for-migration", path, required: true) is { } waitVm
                    ? new WaitForMigrationStep(waitVm, Value(map, "within", path, Quantity.Duration, "a duration like 20s"))
                    : null;
            default:
                return Text(map, "wait-for-empty", path, required: true) is { } waitHost
                    ? new WaitForEmptyStep(waitHost, Value(map, "within", path, Quantity.Duration, "a duration like 20s"))
                    : null;
        }
    }

    /// <summary>QEMU capabilities by name, each on or off (<c>true</c>/<c>false</c> too, as JSON writes them); the names are <see cref="ScenarioCheck"/>'s to judge.</summary>
    private (string Name, bool On)[] Capabilities(MapNode map, string path)
    {
        var capabilities = new List<(string, bool)>();
        foreach (var (entry, at) in Entries(map, "capabilities", path, "a mapping of QEMU capabilities, e.g. multifd: on"))
        {
            if (entry.Value is ScalarNode { Value: "on" or "true" or "off" or "false" } state)
                capabilities.Add((entry.Key, state.Value is "on" or "true"));
            else
                Error(entry.Value.Line, at, $"expected on or off, not {entry.Value.Kind}");
        }
        return capabilities.ToArray();
    }

    private (string Name, string Value)[] Parameters(MapNode map, string path)
    {
        var parameters = new List<(string, string)>();
        foreach (var (entry, at) in Entries(map, "parameters", path, "a mapping of QEMU parameters, e.g. switchover-ack-timeout: 1500"))
        {
            if (entry.Value is ScalarNode { Value: { } value })
                parameters.Add((entry.Key, value));
            else
                Error(entry.Value.Line, at, "give a number");
        }
        return parameters.ToArray();
    }

    private Expectation[] Expectations(FileNode node, string path)
    {
        var map = Map(node, path, ExpectFields);
        if (map is null)
            return [];
        var result = new List<Expectation>();
        foreach (var counter in Enum.GetValues<Counter>())
        {
            if (Value(map, CountIs.Name(counter), path, s => int.TryParse(s, out var n) ? n : (int?)null, "a whole number like 0") is { } value)
                result.Add(new CountIs(counter, value));
        }
        foreach (var (entry, at) in Entries(map, "vms", path, "a mapping of VM to host, e.g. web: host1"))
        {
            var words = (entry.Value as ScalarNode)?.Value?.Split(' ', StringSplitOptions.RemoveEmptyEntries) ?? [];
            if (words.Length is 1 or 2)
                result.Add(new VmOnHost(entry.Key, words[0], words.Length == 2 ? words[1] : null));
            else
                Error(entry.Line, at, "give the host, optionally with the state: 'host1' or 'host1 running'");
        }
        foreach (var (entry, at) in Entries(map, "migrations", path, "a mapping of VM to outcome, e.g. web: failed"))
        {
            var names = ((entry.Value as ScalarNode)?.Value ?? "").Split('|', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            var outcomes = names.Select(n => Enum.GetValues<MigrationStatus>().Where(s => s.IsTerminal()).Cast<MigrationStatus?>().FirstOrDefault(s => s!.Value.Name() == n)).ToArray();
            if (names.Length == 0 || outcomes.Any(o => o is null))
                Error(entry.Line, at, "give completed, failed or cancelled, or several as completed|failed");
            else
                result.Add(new MigrationEnds(entry.Key, outcomes.Select(o => o!.Value).ToArray()));
        }
        foreach (var (item, i) in List(map, "empty", path, required: false).Select((n, i) => (n, i)))
        {
            Remember($"{path}.empty[{i}]", item.Line);
            if (item is ScalarNode { Value: { } host })
                result.Add(new HostEmpty(host));
            else
                Error(item.Line, $"{path}.empty[{i}]", "give a host name");
        }
        return result.ToArray();
    }

    // ---- field access -----------------------------------------------------------------------

    private MapNode? Map(FileNode node, string path, string[]? allowed, string? what = null)
    {
        Remember(path, node.Line);
        if (node is not MapNode map)
        {
            Error(node.Line, path, $"expected {what ?? "a mapping"}, not {node.Kind}");
            return null;
        }
        if (allowed is not null)
            Unknown(map, path, allowed, path.Length == 0 ? "a drill" : path);
        return map;
    }

    private void Unknown(MapNode map, string path, string[] allowed, string what)
    {
        foreach (var entry in map.Entries.Where(e => !allowed.Contains(e.Key)))
            Error(entry.Line, Join(path, entry.Key), $"unknown field in {what} (known: {string.Join(", ", allowed)})");
    }

    private FileNode? Field(MapNode map, string key, string path)
    {
        var entry = map.Entries.FirstOrDefault(e => e.Key == key);
        if (entry is not null)
            Remember(Join(path, key), entry.Value.Line);
        return entry?.Value;
    }

    /// <summary>The entries of the mapping at <paramref name="key"/>, if there is one, each with its path.</summary>
    private (MapEntry Entry, string At)[] Entries(MapNode map, string key, string path, string what)
    {
        if (Field(map, key, path) is not { } node || Map(node, Join(path, key), null, what) is not { } entries)
            return [];
        foreach (var entry in entries.Entries)
            Remember($"{Join(path, key)}.{entry.Key}", entry.Line);
        return entries.Entries.Select(e => (e, $"{Join(path, key)}.{e.Key}")).ToArray();
    }

    private string? Text(MapNode map, string key, string path, bool required)
    {
        var node = Field(map, key, path);
        if (node is ScalarNode { Value: { } text })
            return text;
        if (node is not null || required)
            Error(node?.Line ?? map.Line, Join(path, key), node is null ? "required field is missing" : $"expected a name, not {node.Kind}");
        return null;
    }

    /// <summary>The field's value as <paramref name="parse"/> reads it (sizes, rates and durations in <see cref="Quantity"/>'s grammar, shared with the CLI).</summary>
    private T? Value<T>(MapNode map, string key, string path, Func<string, T?> parse, string hint) where T : struct
    {
        var node = Field(map, key, path);
        if (node is null)
            return null;
        if (node is ScalarNode { Value: { } text } && parse(text) is { } value)
            return value;
        Error(node.Line, Join(path, key), $"expected {hint}, not {node.Kind}");
        return null;
    }

    private bool Flag(MapNode map, string key, string path)
    {
        var node = Field(map, key, path);
        if (node is null)
            return false;
        if (node is ScalarNode { Value: "true" or "false" } flag)
            return flag.Value == "true";
        Error(node.Line, Join(path, key), $"expected true or false, not {node.Kind}");
        return false;
    }

    private IReadOnlyList<FileNode> List(MapNode map, string key, string path, bool required)
    {
        var node = Field(map, key, path);
        if (node is ListNode list)
            return list.Items;
        if (node is not null || required)
            Error(node?.Line ?? map.Line, Join(path, key), node is null ? "required field is missing" : $"expected a list, not {node.Kind}");
        return [];
    }

    private (string A, string B)? Pair(MapNode map, string key, string path)
    {
        var node = Field(map, key, path);
        if (node is ListNode { Items: [ScalarNode { Value: { } a }, ScalarNode { Value: { } b }] })
            return (a, b);
        Error(node?.Line ?? map.Line, Join(path, key), "name the two hosts of the link, e.g. [host1, host2]");
        return null;
    }

    private void Remember(string path, int line) => _lines.TryAdd(path, line);

    private void Error(int line, string path, string message) => _errors.Add((line, path, message));

    private static string Join(string path, string key) => path.Length == 0 ? key : $"{path}.{key}";

    /// <summary>A ratio as drill files write it: <c>0.05</c> or <c>5%</c>.</summary>
    private static double? Ratio(string text)
    {
        var trimmed = text.Trim();
        var percent = trimmed.EndsWith('%');
        if (!double.TryParse(percent ? trimmed[..^1] : trimmed, NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
            return null;
        return percent ? value / 100 : value;
    }
}
