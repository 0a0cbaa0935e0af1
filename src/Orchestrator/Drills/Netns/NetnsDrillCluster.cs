using System.Diagnostics;
using System.Globalization;
using Orchestrator.Actors.Faults;
using Orchestrator.Cli;
using Orchestrator.Drills.Running;
using Orchestrator.Drills.Scenarios;

namespace Orchestrator.Drills.Netns;

/// <summary>
/// Node processes in network namespaces (deploy/netns/cluster.sh), driven through their HTTP API, kills at a phase via the source's test-only fault hook.
/// A host is read through its own <c>GET /hosts/{host}/vms</c>, reached from the root namespace whatever links a fault cut; host i: <c>host{i}</c> at 10.X.0.i.
/// </summary>
/// <param name="dir">cluster.sh's directory: the nodes' pid files, logs and <c>cluster.env</c>.</param>
internal sealed class NetnsDrillCluster(IReadOnlyList<string> hosts, string dir, string script, DrillOptions options, Action<string> progress) : IDrillCluster
{
    private readonly Lock _sync = new();
    private readonly HashSet<string> _killed = [];
    private readonly Dictionary<KillStep, string> _armed = [];
    private string _subnet = "";
    private int _stopped;

    /// <summary>Per host, its API for reads and fault hooks, within <see cref="DrillOptions.AskTimeout"/>; set once the subnet is known.</summary>
    private ApiClient[] _api = [];

    /// <summary>Per host, its API for fleet commands: the coordinator asks hosts before it answers, so they get the fleet's longer bound.</summary>
    private ApiClient[] _fleet = [];

    /// <summary>Starts the nodes and waits until every one is Up and the fleet coordinator answers; stops them all if it cannot.</summary>
    /// <param name="script">deploy/netns/cluster.sh, from <see cref="FindScript"/>.</param>
    public static async Task<NetnsDrillCluster> Start(string script, IReadOnlyList<HostDefinition> hosts, DrillOptions options, Action<string> progress, CancellationToken cancel)
    {
        var dir = Directory.CreateTempSubdirectory("orchestrator-drill-netns-").FullName;
        var cluster = new NetnsDrillCluster(hosts.Select(h => h.Name).ToArray(), dir, script, options, progress);
        // Every node gets the in-process engine's bounds (docs/drills.md) and the test-only fault hook.
        var environment = new Dictionary<string, string>
        {
            ["ORCHESTRATOR__FAULTS__ENABLED"] = "true",
            ["ORCHESTRATOR__CLUSTER__HEARTBEATPAUSE"] = Seconds(options.FailureDetectorPause),
            ["ORCHESTRATOR__CLUSTER__DOWNAFTER"] = Seconds(options.DownAfter),
            ["ORCHESTRATOR__FLEET__RETRYBACKOFF"] = Seconds(options.Fleet.RetryBackoff),
            ["ORCHESTRATOR__MIGRATION__SETUPTIMEOUT"] = Seconds(options.Migration.SetupTimeout),
            ["ORCHESTRATOR__MIGRATION__COMMITTIMEOUT"] = Seconds(options.Migration.CommitTimeout),
            ["ORCHESTRATOR__MIGRATION__STALLTIMEOUT"] = Seconds(options.Migration.Precopy.Stall),
        };
        for (var i = 0; i < hosts.Count; i++)
            environment[$"CAPACITY_{i + 1}"] = $"{hosts[i].Capacity}B";
        // A Ctrl+C is a cancel (the drill disposes the cluster); this covers an exit that skips it.
        AppDomain.CurrentDomain.ProcessExit += cluster.OnProcessExit;
        try
        {
            var (code, output) = await Run(script, ["start", hosts.Count.ToString(CultureInfo.InvariantCulture), "--dir", dir], TimeSpan.FromSeconds(120), cancel, environment);
            if (code != 0)
                throw new TimeoutException($"cluster.sh start failed ({code}): {Tail(output)}");
            cluster._subnet = File.ReadLines(Path.Combine(dir, "cluster.env"))
                .Single(l => l.StartsWith("NETNS_SUBNET=", StringComparison.Ordinal))["NETNS_SUBNET=".Length..];
            cluster._api = [.. hosts.Select((_, i) => cluster.Api(i, options.AskTimeout))];
            cluster._fleet = [.. hosts.Select((_, i) => cluster.Api(i, options.FleetAskTimeout + TimeSpan.FromSeconds(5)))];
            await cluster.UntilReady(cancel);
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    private static string Seconds(TimeSpan t) => t.TotalSeconds.ToString(CultureInfo.InvariantCulture);

    /// <summary>deploy/netns/cluster.sh: ORCHESTRATOR_NETNS_SCRIPT, else found above this program or the working directory.</summary>
    /// <exception cref="FileNotFoundException">Neither; the message says how to name it.</exception>
    public static string FindScript()
    {
        if (Environment.GetEnvironmentVariable("ORCHESTRATOR_NETNS_SCRIPT") is { Length: > 0 } given)
            return File.Exists(given) ? Path.GetFullPath(given) : throw new FileNotFoundException($"ORCHESTRATOR_NETNS_SCRIPT: no such file: {given}");
        foreach (var start in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, "deploy", "netns", "cluster.sh");
                if (File.Exists(candidate))
                    return candidate;
            }
        }
        throw new FileNotFoundException("deploy/netns/cluster.sh not found above this program or the working directory: set ORCHESTRATOR_NETNS_SCRIPT");
    }

    /// <summary>What slow-link can produce here, as <c>cluster.sh link-faults</c> finds by trying (slow-link's own probe); clear-link always can.</summary>
    public static async Task<LinkFaults> ProbeLinkFaults(string script, CancellationToken cancel)
    {
        var (code, output) = await Run(script, ["link-faults"], TimeSpan.FromSeconds(30), cancel);
        if (code == 0)
            return ParseLinkFaults(output);
        var failed = $"cannot be promised: cluster.sh link-faults failed ({code}): {Tail(output)}";
        return new LinkFaults(failed, failed, failed, Clear: null);
    }

    /// <summary><c>cluster.sh link-faults</c>' lines, <c>rate yes</c> or <c>delay no WHY</c>; a fault it does not name cannot be promised.</summary>
    public static LinkFaults ParseLinkFaults(string output)
    {
        var why = new Dictionary<string, string?>();
        foreach (var line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var parts = line.Split(' ', 3);
            if (parts.Length >= 2 && parts[1] is "yes" or "no")
                why[parts[0]] = parts[1] == "yes" ? null : parts.ElementAtOrDefault(2) ?? $"this machine cannot shape a link's {parts[0]}";
        }
        string? Of(string fault) => why.TryGetValue(fault, out var reason)
            ? reason
            : $"cluster.sh link-faults did not say whether it can shape a link's {fault}: {Tail(output)}";
        return new LinkFaults(Of("rate"), Of("delay"), Of("loss"), Clear: null);
    }

    /// <summary>The program the nodes run: this one.</summary>
    private static string OrchestratorBin()
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "orchestrator.dll");
        return File.Exists(dll) ? dll : Environment.ProcessPath ?? throw new InvalidOperationException("cannot tell which program to run the nodes with");
    }

    private async Task UntilReady(CancellationToken cancel)
    {
        var deadline = DateTime.UtcNow + options.StartTimeout + TimeSpan.FromSeconds(30);
        string last = "no answer";
        while (true)
        {
            cancel.ThrowIfCancellationRequested();
            try
            {
                var hosts = (await Get(0, "/hosts"))?.AsArray() ?? [];
                var up = hosts.Count(h => (string?)h!["status"] == "up" && h["capacity"] is not null);
                last = $"{up} of {hosts.Count} hosts up";
                if (up == hosts.Count && await Read(() => Get(0, "/fleet/permits")) is not null)
                    return;
            }
            catch (Exception e) when (e is ApiException or ApiUnreachableException)
            {
                last = Why(e);
            }
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"the nodes did not form a cluster with a fleet coordinator in time ({last}); logs in {dir}");
            await Task.Delay(250, cancel);
        }
    }

    // ---- hosts, addresses, fates ---------------------------------------------------------------

    public IReadOnlyList<string> Hosts => hosts;

    private int Index(string host) => hosts.ToList().IndexOf(host) is var i and >= 0 ? i : throw new ArgumentException($"unknown host {host}");

    /// <summary>The host's K for cluster.sh (host K at 10.X.0.K).</summary>
    private string Number(string host) => (Index(host) + 1).ToString(CultureInfo.InvariantCulture);

    private string Node(string host) => $"host{Number(host)}";

    /// <summary>The scenario host whose K follows <paramref name="prefix"/> in <paramref name="text"/> (<c>host2</c>, <c>10.X.0.2</c>); null if none.</summary>
    private string? Numbered(string? text, string prefix) =>
        text is not null && text.StartsWith(prefix, StringComparison.Ordinal) && int.TryParse(text[prefix.Length..], out var k) && k >= 1 && k <= hosts.Count
            ? hosts[k - 1] : null;

    private string? FromNode(string? node) => Numbered(node, "host") ?? node;

    private ApiClient Api(int index, TimeSpan timeout) => new($"http://10.{_subnet}.0.{index + 1}:8080", timeout, useProxy: false);

    public string? HostAt(Address address) => Numbered(address.Host, $"10.{_subnet}.0.");

    public NodeFate Fate(string host)
    {
        if (!hosts.Contains(host))
            return NodeFate.Died;
        lock (_sync)
        {
            if (_killed.Contains(host))
                return NodeFate.Killed;
        }
        if (ProcessAlive(host))
            return NodeFate.Alive;
        lock (_sync)
        {
            // Gone with the fault hook's dying line: killed by the scenario, even before the kill step saw it; without, it died otherwise.
            if (_armed.ContainsValue(host) && DiedOfFaultHook(Path.Combine(dir, $"{Node(host)}.log")))
            {
                _killed.Add(host);
                return NodeFate.Killed;
            }
        }
        return NodeFate.Died;
    }

    /// <summary>True when the node's log ends its life with the fault hook's <see cref="FaultsProtocol.DyingLine"/>.</summary>
    internal static bool DiedOfFaultHook(string log)
    {
        try
        {
            return File.ReadLines(log).Any(line => line.StartsWith(FaultsProtocol.DyingLine, StringComparison.Ordinal));
        }
        catch (IOException)
        {
            return false;
        }
    }

    private bool ProcessAlive(string host)
    {
        var file = Path.Combine(dir, $"{Node(host)}.pid");
        if (!File.Exists(file) || !int.TryParse(File.ReadAllText(file).Trim(), out var pid))
            return false;
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var state = stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[0];
            return state is not ("Z" or "X") && File.ReadAllText($"/proc/{pid}/cmdline").Contains("node\0--name\0" + Node(host) + "\0", StringComparison.Ordinal);
        }
        catch (IOException)
        {
            return false;
        }
    }

    private int? AnyLiving() => this.Living().Select(h => (int?)Index(h)).FirstOrDefault();

    // ---- steps ----------------------------------------------------------------------------------

    public async Task<string?> CreateVm(VmDefinition vm)
    {
        var body = new JsonObject
        {
            ["name"] = vm.Name,
            ["host"] = Node(vm.Host),
            ["ram"] = $"{vm.Ram}B",
            ["dirty-rate"] = $"{vm.DirtyRate}B/s",
            ["vfio"] = $"{vm.VfioSize}B",
            ["vfio-alloc"] = $"{(long)vm.VfioAllocationTime.TotalMilliseconds}ms",
            ["vgpu"] = $"{vm.Vgpu}B",
        };
        var (_, refused) = await Post(0, "/vms", body, fleet: true);
        return refused is null ? null : $"HTTP {refused.Status}: {refused.Message}";
    }

    public async Task<DrillAdmission> Migrate(MigrateStep step)
    {
        var parameters = new JsonObject();
        foreach (var (name, value) in step.Parameters)
            parameters[name] = value;
        var body = new JsonObject { ["to"] = Node(step.To), ["parameters"] = parameters };
        if (step.SourceCapabilities is { } capabilities)
            body["capabilities"] = capabilities.ToString();
        var reply = await FleetCommand($"/vms/{Uri.EscapeDataString(step.Vm)}/migrate", body);
        return new DrillAdmission(new MigrationId((string)reply["id"]!), FromNode((string?)reply["source"]) ?? "?", (string?)reply["status"] ?? "?");
    }

    /// <summary><c>POST /hosts/{host}/capabilities</c>, then <c>/parameters</c>, on the host's own node, as <c>migrate-set-capabilities --host</c> does.</summary>
    public async Task<DrillIncoming> SetIncoming(string host, IReadOnlyList<(string Name, bool On)> capabilities, IReadOnlyList<(string Name, string Value)> parameters)
    {
        MigrationCapabilities? caps = null;
        int? channels = null;
        if (capabilities.Count > 0)
        {
            var body = new JsonObject();
            foreach (var (name, on) in capabilities)
                body[name] = on;
            var reply = await HostCommand(host, "capabilities", body, "migrate-set-capabilities");
            caps = reply.AsObject().Aggregate(MigrationCapabilities.None, (c, state) => c.With(state.Key, (bool)state.Value!));
        }
        if (parameters.Count > 0)
        {
            var body = new JsonObject();
            foreach (var (name, value) in parameters)
                body[name] = value;
            channels = (int?)(await HostCommand(host, "parameters", body, "migrate-set-parameters"))["multifd-channels"];
        }
        return new DrillIncoming(caps, channels);
    }

    public async Task<DrillEvacuation> Evacuate(string host)
    {
        var reply = await FleetCommand($"/hosts/{Node(host)}/evacuate", null);
        return new DrillEvacuation(
            (reply["moves"]?.AsArray() ?? []).Select(m => ((string)m!["vm"]!, FromNode((string?)m["to"]) ?? "?")).ToArray(),
            (reply["unplaceable"]?.AsArray() ?? []).Select(u => ((string)u!["vm"]!, (string?)u["reason"] ?? "")).ToArray());
    }

    public async Task Kill(string host)
    {
        lock (_sync)
            _killed.Add(host);
        await Script("kill", Number(host));
    }

    /// <summary><c>cluster.sh partition|heal|slow-link|clear-link A B</c>; it refuses delay and loss it cannot shape, naming what is missing: never faked.</summary>
    public async Task Link(LinkStep step)
    {
        var args = new List<string> { step.Verb, Number(step.A), Number(step.B) };
        if (step is SlowLinkStep { Rate: { } rate })
            args.AddRange(["--rate", $"{Math.Max(1, rate * 8 / 1000)}kbit"]);
        if (step is SlowLinkStep { Delay: { } delay })
            args.AddRange(["--delay", $"{(long)delay.TotalMilliseconds}ms"]);
        if (step is SlowLinkStep { Loss: { } loss })
            args.AddRange(["--loss", $"{(loss * 100).ToString("0.###", CultureInfo.InvariantCulture)}%"]);
        await Script([.. args]);
    }

    // ---- reading the hosts -----------------------------------------------------------------------

    public Task<HostProtocol.VmList?> ListVms(string host) => Read(async () =>
    {
        if (await Get(Index(host), $"/hosts/{Node(host)}/vms") is not JsonObject list)
            return null;
        var vms = (list["vms"]?.AsArray() ?? []).Select(v => new HostProtocol.VmSummary(
            (string)v!["name"]!, (string)v["state"]!, (long?)v["ram"] ?? 0, [], (long?)v["epoch"] ?? 0)).ToArray();
        var incoming = (list["incoming"]?.AsArray() ?? []).Select(v => (string)v!).ToArray();
        return new HostProtocol.VmList(host, vms, incoming);
    });

    public Task<object?> QueryMigrate(string host, string vm) => Read(async () =>
        await Get(Index(host), $"/hosts/{Node(host)}/vms/{Uri.EscapeDataString(vm)}/migration") is JsonObject json
            ? QueryMigrateJson.FromJson(json) ?? (object)HostProtocol.NoMigration.Instance
            : null);

    public Task<string?> LedgerOwner(string vm) => Read(async () =>
        AnyLiving() is { } living && (string?)(await Get(living, $"/vms/{Uri.EscapeDataString(vm)}/owner"))?["owner"] is { } owner
            ? HostAt(Address.Parse(owner))
            : null);

    public async Task<IReadOnlyList<DrillMigrationSeen>> Migrations() => await Read<IReadOnlyList<DrillMigrationSeen>>(async () =>
    {
        if (AnyLiving() is not { } living)
            return [];
        var phases = await Phases();
        return ((await Get(living, "/migrations"))?.AsArray() ?? []).OfType<JsonObject>()
            .Where(m => (string?)m["status"] != "queued")
            .Select(m => new DrillMigrationSeen(new MigrationId((string)m["id"]!), (string)m["vm"]!,
                FromNode((string?)m["source"]) ?? "?", FromNode((string?)m["destination"]) ?? "?",
                phases.GetValueOrDefault((string)m["id"]!)))
            .ToArray();
    }) ?? []; // the fleet is moving or unreachable: next time

    /// <summary>What <paramref name="read"/> makes of a node's answer; null when there is none, or it is not what was expected.</summary>
    private static async Task<T?> Read<T>(Func<Task<T?>> read) where T : class
    {
        try
        {
            return await read();
        }
        catch (Exception e) when (e is ApiException or ApiUnreachableException or InvalidOperationException or FormatException)
        {
            return null;
        }
    }

    /// <summary>Every living node's phases (its fault hook records them), by migration id; a node that does not answer adds none.</summary>
    private async Task<Dictionary<string, (string Phase, DateTimeOffset At)[]>> Phases()
    {
        var answers = await Task.WhenAll(this.Living().Select(h => Read(() => Get(Index(h), "/faults/phases"))));
        return answers.OfType<JsonArray>().SelectMany(a => a).OfType<JsonObject>()
            .GroupBy(p => (string)p["migration"]!)
            .ToDictionary(g => g.Key, g => g.Select(p => ((string)p["phase"]!, DateTimeOffset.Parse((string)p["at"]!, CultureInfo.InvariantCulture))).ToArray());
    }

    // ---- kills at a phase ------------------------------------------------------------------------

    public void WatchPhases(Action<string, MigrationPhaseReached> onPhase)
    {
        // The phases happen in other processes: kills at a phase are armed there (ArmKillAt).
    }

    public bool SeesPhases => false;

    public async Task Corrupt(string vm)
    {
        foreach (var host in this.Living())
        {
            if ((await Post(Index(host), "/faults/corrupt", new JsonObject { ["vm"] = vm })).Refused is { } refused)
                throw new DrillStepException($"the corruption of {vm} could not be armed on {host} (HTTP {refused.Status}): {refused.Message}");
        }
    }

    public async Task ArmKillAt(KillStep kill, string source)
    {
        var (_, refused) = await Post(Index(source), "/faults/kill-at",
            new JsonObject { ["vm"] = kill.Of, ["phase"] = kill.At!.Value.Name(), ["host"] = Node(kill.Host) });
        if (refused is not null)
            throw new DrillStepException($"the kill could not be armed on {source} (HTTP {refused.Status}): {refused.Message}");
        lock (_sync)
            _armed[kill] = kill.Host;
    }

    public bool KilledAtPhase(KillStep kill)
    {
        bool armed;
        lock (_sync)
            armed = _armed.ContainsKey(kill);
        return armed && Fate(kill.Host) == NodeFate.Killed;
    }

    // ---- plumbing --------------------------------------------------------------------------------

    private Task<JsonNode?> Get(int index, string path) => _api[index].Get(path, CancellationToken.None);

    /// <summary>A fleet command on any living host: its answer; else a <see cref="DrillStepException"/> with the refusal.</summary>
    private async Task<JsonNode> FleetCommand(string path, JsonNode? body)
    {
        var living = AnyLiving() ?? throw new DrillStepException("no host is alive to ask");
        var (reply, refused) = await Post(living, path, body, fleet: true);
        return reply ?? throw new DrillStepException($"the fleet coordinator refused (HTTP {refused?.Status}): {refused?.Message ?? "no body"}");
    }

    /// <summary><c>POST /hosts/{host}/{setting}</c> on the host's own node: its answer; else a <see cref="DrillStepException"/> with the host's refusal.</summary>
    private async Task<JsonNode> HostCommand(string host, string setting, JsonNode body, string what)
    {
        var (reply, refused) = await Post(Index(host), $"/hosts/{Node(host)}/{setting}", body);
        return reply ?? throw new DrillStepException($"{host} refused {what} (HTTP {refused?.Status}): {refused?.Message ?? "no body"}");
    }

    /// <summary>A POST on host <paramref name="index"/>: its answer, or its refusal (HTTP status and the API's error); a <see cref="DrillStepException"/> if it does not answer.</summary>
    private async Task<(JsonNode? Reply, ApiException? Refused)> Post(int index, string path, JsonNode? body, bool fleet = false)
    {
        try
        {
            return (await (fleet ? _fleet : _api)[index].Post(path, body, CancellationToken.None), null);
        }
        catch (ApiException e)
        {
            return (null, e);
        }
        catch (ApiUnreachableException e)
        {
            throw new DrillStepException($"host{index + 1}'s API did not answer POST {path}: {Why(e)}");
        }
    }

    /// <summary>Why a request failed, without the CLI's advice: the transport's own words, or the API's error with its HTTP status.</summary>
    private static string Why(Exception e) => e switch
    {
        ApiException api => $"HTTP {api.Status}: {api.Message}",
        ApiUnreachableException { InnerException: HttpRequestException inner } => inner.Message,
        _ => e.Message,
    };

    private async Task Script(params string[] args)
    {
        var (code, output) = await Run(script, [.. args, "--dir", dir], TimeSpan.FromSeconds(30), CancellationToken.None);
        if (code != 0)
            throw new DrillStepException($"cluster.sh {args[0]} failed: {Tail(output)}");
    }

    private static async Task<(int Code, string Output)> Run(string script, string[] args, TimeSpan timeout, CancellationToken cancel,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo("bash", [script, .. args]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.Environment["ORCHESTRATOR_BIN"] = OrchestratorBin();
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
            start.Environment[name] = value;
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        var stderr = process.StandardError.ReadToEndAsync(CancellationToken.None);
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        bounded.CancelAfter(timeout);
        try
        {
            await process.WaitForExitAsync(bounded.Token);
        }
        catch (OperationCanceledException)
        {
            // Only the script itself: a start cut short is cleaned up by the stop that follows.
            process.Kill();
            await process.WaitForExitAsync(CancellationToken.None);
            if (cancel.IsCancellationRequested)
                throw;
            return (-1, $"cluster.sh {args[0]} still running after {timeout.TotalSeconds:0} s: {await stdout}{await stderr}");
        }
        return (process.ExitCode, (await stdout + await stderr).Trim());
    }

    private static string Tail(string output) => string.Join(" | ", output.Split('\n', StringSplitOptions.RemoveEmptyEntries).TakeLast(6));

    private void OnProcessExit(object? sender, EventArgs e) => Stop().GetAwaiter().GetResult();

    private async Task Stop()
    {
        if (Interlocked.Exchange(ref _stopped, 1) == 1)
            return;
        var (code, output) = await Run(script, ["stop", "--dir", dir], TimeSpan.FromSeconds(60), CancellationToken.None);
        var keep = Environment.GetEnvironmentVariable("ORCHESTRATOR_DRILL_KEEP") is { Length: > 0 } and not "0";
        progress(code == 0 ? $"netns cluster stopped: {Tail(output)}{(keep ? $"; node logs kept in {dir}" : "")}"
            : $"cluster.sh stop failed ({code}): {Tail(output)}; logs in {dir}");
        if (code == 0 && !keep)
        {
            try
            {
                Directory.Delete(dir, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        AppDomain.CurrentDomain.ProcessExit -= OnProcessExit;
        await Stop();
        foreach (var client in _api.Concat(_fleet))
            client.Dispose();
    }
}
