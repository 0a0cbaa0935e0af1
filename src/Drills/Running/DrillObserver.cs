using System.Diagnostics;
using Orchestrator.Actors.Fencing;
using Orchestrator.Drills.Report;

namespace Orchestrator.Drills.Running;

/// <summary>
/// Watches a drill from inside every node: where each VM is (each host's own list, never read across a cut link), migrations, invariants.
/// A VM's owner is the host last seen running it alone, or a migration's destination seen completed after. Lost: defined and on no living
/// host (any state, paused too), its owner not killed by the scenario; lost with host: so at the end, its owner killed. Double-run: running
/// on two hosts at once. Host lists are not read atomically, so a second read confirms a suspicion: a VM caught between hosts is not reported.
/// </summary>
internal sealed class DrillObserver
{
    private sealed record MigrationWatch(MigrationId Id, string Vm, string Source, string Destination, int Order)
    {
        public List<PhaseRecord> Phases { get; } = [];
        public MigrationInfo? Info { get; set; }
        public string? Status { get; set; }
        public string? Note { get; set; }
        public bool Final => Status is not null;
    }

    internal sealed record PhaseTrigger(KillStep Step, int ArmedAtOrder)
    {
        public TaskCompletionSource<long> Fired { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public bool Claimed { get; set; }
    }

    private readonly Lock _sync = new();
    private readonly SemaphoreSlim _checking = new(1, 1);
    private readonly IDrillCluster _cluster;
    private readonly Stopwatch _clock;
    private readonly IReadOnlyList<string> _vms;
    private readonly Dictionary<MigrationId, MigrationWatch> _migrations = [];
    private readonly Dictionary<string, string> _owner;
    private readonly HashSet<string> _lostNow = [];
    private readonly HashSet<string> _doubleNow = [];
    private readonly List<string> _lostEver = [];
    private readonly List<string> _doubleEver = [];
    private readonly List<Violation> _violations = [];
    private readonly List<PhaseTrigger> _triggers = [];
    private Dictionary<string, HostProtocol.VmList>? _last;
    private int _checks;

    public DrillObserver(IDrillCluster cluster, Stopwatch clock, IReadOnlyList<VmDefinition> vms)
    {
        _cluster = cluster;
        _clock = clock;
        _vms = vms.Select(v => v.Name).ToArray();
        _owner = vms.ToDictionary(v => v.Name, v => v.Host);
        cluster.WatchPhases(OnPhase);
    }

    public int Checks
    {
        get { lock (_sync) return _checks; }
    }

    public int ViolationCount
    {
        get { lock (_sync) return _violations.Count; }
    }

    private long Now => _clock.ElapsedMilliseconds;

    // ---- phases and kills at a phase ---------------------------------------------------------

    public PhaseTrigger Arm(KillStep step)
    {
        lock (_sync)
        {
            var trigger = new PhaseTrigger(step, _migrations.Count);
            _triggers.Add(trigger);
            return trigger;
        }
    }

    /// <summary>Why an armed trigger can no longer fire: the VM's migration ended before the phase. Null while it still may.</summary>
    public string? Missed(PhaseTrigger trigger)
    {
        lock (_sync)
        {
            var ended = _migrations.Values
                .Where(m => m.Vm == trigger.Step.Of && m.Order >= trigger.ArmedAtOrder && m.Final)
                // An engine that sees no phases (netns) only knows the migration ended: the drill gives the kill a moment.
                .FirstOrDefault(m => !_cluster.SeesPhases || m.Phases.All(p => p.Phase != trigger.Step.At!.Value.Name()));
            return ended is null ? null
                : $"the migration of {ended.Vm} ended {ended.Status} before it reached {trigger.Step.At!.Value.Name()}{(ended.Info?.ErrorDesc is { } e ? $" ({e})" : "")}";
        }
    }

    private void OnPhase(string source, MigrationPhaseReached reached)
    {
        PhaseTrigger? fire;
        var now = Now;
        lock (_sync)
        {
            if (!_migrations.TryGetValue(reached.Migration, out var watch))
            {
                var destination = _cluster.HostAt(reached.Destination) ?? reached.Destination.ToString();
                _migrations[reached.Migration] = watch = new MigrationWatch(reached.Migration, reached.Vm, source, destination, _migrations.Count);
            }
            watch.Phases.Add(new PhaseRecord(reached.Phase.Name(), now));
            fire = _triggers.FirstOrDefault(t => !t.Claimed && t.Step.Of == reached.Vm && t.Step.At == reached.Phase);
            if (fire is not null)
                fire.Claimed = true;
        }
        if (fire is null)
            return;
        // On the source migration's own thread, which takes no further step until the victim is cut off: Kill returns once it is.
        _ = _cluster.Kill(fire.Step.Host);
        fire.Fired.TrySetResult(now);
    }

    // ---- checks -------------------------------------------------------------------------------

    /// <summary>One invariant check: every living host's VMs, every running migration's state.</summary>
    public async Task Check()
    {
        await _checking.WaitAsync();
        try
        {
            await Discover();
            var snapshot = await Snapshot();
            if (snapshot is null)
                return; // a host did not answer: nothing can be concluded this round
            var (missing, doubles) = Suspects(snapshot);
            if (missing.Count + doubles.Count > 0)
            {
                var again = await Snapshot();
                if (again is null)
                    return;
                var (missing2, doubles2) = Suspects(again);
                missing.IntersectWith(missing2);
                doubles = doubles.Where(d => doubles2.ContainsKey(d.Key)).ToDictionary(d => d.Key, d => doubles2[d.Key]);
                snapshot = again;
            }
            foreach (var vm in missing)
                await OwnerFromLedger(vm);
            Record(snapshot, missing, doubles);
        }
        finally
        {
            _checking.Release();
        }
    }

    /// <summary>Migrations the engine knows of without phases (netns: the fleet's list) are watched too.</summary>
    private async Task Discover()
    {
        var seen = await _cluster.Migrations();
        lock (_sync)
        {
            foreach (var m in seen)
            {
                if (!_migrations.TryGetValue(m.Id, out var watch))
                    _migrations[m.Id] = watch = new MigrationWatch(m.Id, m.Vm, m.Source, m.Destination, _migrations.Count);
                // Phases reported afterwards: placed on the drill's clock by how long ago they happened.
                foreach (var (phase, at) in m.Phases ?? [])
                {
                    if (watch.Phases.All(p => p.Phase != phase))
                        watch.Phases.Add(new PhaseRecord(phase, Math.Max(0, Now - (long)(DateTimeOffset.UtcNow - at).TotalMilliseconds)));
                }
            }
        }
    }

    private bool Alive(string host) => _cluster.Fate(host) == NodeFate.Alive;

    /// <summary>Every living host's VM list (null when one did not answer), then the state of every open migration.</summary>
    private async Task<Dictionary<string, HostProtocol.VmList>?> Snapshot()
    {
        var living = _cluster.Living().ToArray();
        var answers = await Task.WhenAll(living.Select(async h => (Host: h, List: await _cluster.ListVms(h))));
        var snapshot = answers.Any(a => a.List is null && Alive(a.Host))
            ? null
            : answers.Where(a => a.List is not null && Alive(a.Host)).ToDictionary(a => a.Host, a => a.List!);
        await PollMigrations();
        return snapshot;
    }

    private (HashSet<string> Missing, Dictionary<string, string[]> Doubles) Suspects(Dictionary<string, HostProtocol.VmList> snapshot)
    {
        var where = snapshot.SelectMany(s => s.Value.Vms.Select(v => (Host: s.Key, Vm: v))).ToLookup(x => x.Vm.Name);
        var running = _vms.ToDictionary(vm => vm, vm => where[vm].Where(x => x.Vm.State == VmStates.Running).Select(x => x.Host).ToArray());
        lock (_sync)
        {
            foreach (var (vm, hosts) in running.Where(r => r.Value.Length == 1))
                _owner[vm] = hosts[0];
        }
        var missing = _vms.Where(vm => !where[vm].Any()).ToHashSet();
        return (missing, running.Where(r => r.Value.Length > 1).ToDictionary());
    }

    private void Record(Dictionary<string, HostProtocol.VmList> snapshot, HashSet<string> missing, Dictionary<string, string[]> doubles)
    {
        var now = Now;
        lock (_sync)
        {
            _checks++;
            _last = snapshot;
            foreach (var vm in _vms)
            {
                var (owner, fate) = (_owner[vm], _cluster.Fate(_owner[vm]));
                Note(_lostNow, _lostEver, vm, now, "lost",
                    missing.Contains(vm) && fate != NodeFate.Killed ? $"on no living host; it last ran on {owner} ({fate.ToString().ToLowerInvariant()})" : null);
                Note(_doubleNow, _doubleEver, vm, now, "double-run", doubles.TryGetValue(vm, out var hosts) ? $"running on {string.Join(" and ", hosts)}" : null);
            }
        }
    }

    /// <summary>A violation when the VM starts breaking the rule (<paramref name="broken"/> says how), once until the rule holds again.</summary>
    private void Note(HashSet<string> now, List<string> ever, string vm, long at, string kind, string? broken)
    {
        if (broken is null)
        {
            now.Remove(vm);
        }
        else if (now.Add(vm))
        {
            _violations.Add(new Violation(at, kind, vm, broken));
            if (!ever.Contains(vm))
                ever.Add(vm);
        }
    }

    private async Task PollMigrations()
    {
        MigrationWatch[] open;
        lock (_sync)
            open = _migrations.Values.Where(m => !m.Final).ToArray();
        foreach (var watch in open)
        {
            var alive = _cluster.Hosts.Contains(watch.Source) && Alive(watch.Source);
            var reply = alive ? await _cluster.QueryMigrate(watch.Source, watch.Vm) : null;
            lock (_sync)
            {
                if (!alive || !Alive(watch.Source))
                {
                    watch.Status = "unknown";
                    watch.Note = $"its source host {watch.Source} was {(_cluster.Hosts.Contains(watch.Source) && _cluster.Fate(watch.Source) == NodeFate.Killed ? "killed" : "gone")} before it ended";
                }
                else if (reply is MigrationInfo info && info.Id == watch.Id)
                {
                    watch.Info = info;
                    if (info.Status.IsTerminal())
                    {
                        watch.Status = info.Status.Name();
                        if (info.Status == MigrationStatus.Completed)
                            _owner[watch.Vm] = watch.Destination;
                    }
                }
                else if (reply is MigrationInfo newer && newer.Id != watch.Id)
                {
                    watch.Status = watch.Info?.Status is { } last && last.IsTerminal() ? last.Name() : "unknown";
                    watch.Note = $"a newer migration ({newer.Id}) replaced it before its end was seen";
                }
            }
        }
    }

    /// <summary>A VM on no living host: a commit moves the ledger's owner before the destination runs, so one committed to a dead host is lost too.</summary>
    private async Task OwnerFromLedger(string vm)
    {
        if (await _cluster.LedgerOwner(vm) is { } owner)
        {
            lock (_sync)
                _owner[vm] = owner;
        }
    }

    // ---- what a step waits for --------------------------------------------------------------

    /// <summary>The VM's migration <paramref name="id"/>, or its latest one: its status once it ended, else null.</summary>
    public string? Ended(string vm, MigrationId? id)
    {
        lock (_sync)
        {
            var watch = id is { } known && _migrations.TryGetValue(known, out var w) ? w
                : id is null ? _migrations.Values.Where(m => m.Vm == vm).MaxBy(m => m.Order) : null;
            return watch?.Status;
        }
    }

    /// <summary>The living host the VM was last seen running on alone (its owner), or null.</summary>
    public string? Holder(string vm)
    {
        lock (_sync)
            return _owner.GetValueOrDefault(vm) is { } host && _cluster.Hosts.Contains(host) && Alive(host) ? host : null;
    }

    /// <summary>Whether the last complete look saw the host alive and holding no VM.</summary>
    public bool Empty(string host)
    {
        lock (_sync)
            return _last is not null && (!_last.TryGetValue(host, out var list) || list.Vms.Count == 0);
    }

    // ---- the outcome ------------------------------------------------------------------------

    public DrillOutcome Outcome()
    {
        lock (_sync)
        {
            var last = _last ?? [];
            var where = last.SelectMany(s => s.Value.Vms.Select(v => (Host: s.Key, v.Name, v.State))).ToLookup(x => x.Name);
            var lostWithHost = _vms
                .Where(vm => !where[vm].Any() && _cluster.Fate(_owner[vm]) == NodeFate.Killed)
                .Select(vm => $"{vm} ({_owner[vm]})")
                .ToArray();
            var migrations = _migrations.Values.OrderBy(m => m.Order).Select(m => new MigrationRecord(
                m.Id.ToString(),
                m.Vm,
                m.Source,
                m.Destination,
                m.Status ?? m.Info?.Status.Name() ?? "setup",
                m.Info?.Downtime,
                m.Info?.TotalTime,
                m.Note is null ? m.Info?.ErrorDesc : m.Info?.ErrorDesc is { } e ? $"{e}; {m.Note}" : m.Note,
                m.Phases.ToArray(),
                DigestMismatches(m.Info))).ToArray();
            var hosts = _cluster.Hosts.Select(n => new HostRecord(
                n,
                _cluster.Fate(n).ToString().ToLowerInvariant(),
                last.TryGetValue(n, out var list) ? list.Vms.Select(v => $"{v.Name} ({v.State})").ToArray() : [])).ToArray();
            var summary = new InvariantSummary(
                _checks, _lostEver.ToArray(), lostWithHost, _doubleEver.ToArray(), migrations.Sum(m => m.DigestMismatches), _violations.ToArray());
            var locations = _vms.ToDictionary(vm => vm, vm => where[vm].Select(x => (x.Host, x.State)).ToArray() as IReadOnlyList<(string Host, string State)>);
            return new DrillOutcome(summary, migrations, hosts, locations);
        }
    }

    private static int DigestMismatches(MigrationInfo? info)
    {
        if (info is null)
            return 0;
        var differing = info.Devices.Count(d => d.SourceDigest is not null && d.DestinationDigest is not null && d.SourceDigest != d.DestinationDigest);
        // The destination refuses to start a copy whose digests differ; its refusal counts too.
        return differing > 0 ? differing : info.ErrorDesc?.Contains("digest", StringComparison.OrdinalIgnoreCase) == true ? 1 : 0;
    }
}

/// <summary>What the observer saw, for the verdicts and the report.</summary>
/// <param name="Locations">Per VM, the hosts holding it at the end and its state there.</param>
internal sealed record DrillOutcome(
    InvariantSummary Invariants,
    IReadOnlyList<MigrationRecord> Migrations,
    IReadOnlyList<HostRecord> Hosts,
    IReadOnlyDictionary<string, IReadOnlyList<(string Host, string State)>> Locations);
