using Akka.Actor;
using Akka.Cluster;
using Akka.Event;
using Orchestrator.Actors.Fleet.Journal;
using Orchestrator.Actors.Host;
using Orchestrator.Actors.Hosting;
using Orchestrator.Actors.Migration;
using static Orchestrator.Actors.Fleet.FleetProtocol;

namespace Orchestrator.Actors.Fleet;

/// <summary>
/// Admits, runs and follows every migration of the cluster, as a cluster singleton. A migration
/// holds its permits from admission until it is terminal (REFERENCE §5: limits checked against a
/// stale view are exceeded under races). Commands are handled one at a time, their asks to hosts
/// included, so two admissions never see the same free permit or the same free memory.
/// Every decision is written to the journal (<see cref="FleetStore"/>) before it is acted on, so a
/// coordinator started elsewhere after a crash recovers queued and running migrations, evacuation
/// jobs and history, and carries on without duplicating or losing a VM.
/// </summary>
internal sealed class FleetCoordinator : ReceiveActor, IWithTimers, IWithUnboundedStash
{
    private sealed record RecoveryDeadline
    {
        public static readonly RecoveryDeadline Instance = new();
    }

    private sealed record RetryRecovery
    {
        public static readonly RetryRecovery Instance = new();
    }

    /// <summary>The journal could not take a write: the coordinator restarts and recovers what was written.</summary>
    private sealed class StoreUnavailable(string message, Exception? inner = null) : Exception(message, inner);

    private sealed record Poll
    {
        public static readonly Poll Instance = new();
    }

    /// <summary>Time to try a failed evacuation migration again.</summary>
    private sealed record Retry(string Host, string Vm);

    /// <summary>One host's evacuation: its VMs, and the attempts of those that failed.</summary>
    private sealed class EvacuationJob
    {
        public HashSet<string> Vms { get; } = [];
        public Dictionary<string, int> Attempts { get; } = [];
        public HashSet<string> RetryPending { get; } = [];
    }

    /// <summary>One admitted migration, queued or running.</summary>
    private sealed class Admission(
        MigrationRecord record, long size, MigrationCapabilities? capabilities, IReadOnlyList<(string Name, string Value)>? parameters, TimeoutAction onTimeout)
    {
        public MigrationRecord Record { get; set; } = record;
        public long Size { get; } = size;
        public MigrationCapabilities? Capabilities { get; } = capabilities;
        public IReadOnlyList<(string Name, string Value)>? Parameters { get; } = parameters;
        public TimeoutAction OnTimeout { get; } = onTimeout;
        public bool Started { get; set; }
        public int Unanswered { get; set; }

        /// <summary>The latest query-migrate answer: the final statistics once it is terminal.</summary>
        public MigrationInfo? LastInfo { get; set; }

        /// <summary>When the permit was granted: the completion timeout counts from here.</summary>
        public DateTime StartedAt { get; set; }

        /// <summary>The lowest remaining byte count seen, and when it last dropped: the progress timeout.</summary>
        public long LeastRemaining { get; set; } = long.MaxValue;
        public DateTime LastProgressAt { get; set; }

        /// <summary>Why the fleet stepped in, once it has; the record keeps this reason.</summary>
        public string? Intervention { get; set; }

        /// <summary>Cancelled because its destination began to drain: an evacuation move is planned again elsewhere at once.</summary>
        public bool Redirected { get; set; }
    }

    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan WriteTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan RecoveryTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan RecoveryRetry = TimeSpan.FromSeconds(5);
    private const int MaxUnanswered = 20;

    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly FleetProtocol.Settings _settings;
    private readonly PermitLedger _ledger;
    private readonly Dictionary<string, Admission> _active = [];
    private readonly Dictionary<string, List<MigrationRecord>> _finished = [];
    private readonly HashSet<string> _draining = [];
    private readonly Dictionary<string, EvacuationJob> _evacuations = [];
    private readonly Dictionary<string, string> _placement = [];
    private readonly Dictionary<string, MigrationInfo> _finals = [];
    private IActorRef _store = ActorRefs.Nobody;
    private string? _storeProblem;

    public FleetCoordinator(FleetProtocol.Settings settings)
    {
        _settings = settings;
        _ledger = new PermitLedger(settings.Limits.Validated());
        Recovering();
    }

    public IStash Stash { get; set; } = null!;

    // ---- recovery ----------------------------------------------------------------------------

    /// <summary>Until the journal is read, commands wait (bounded by the recovery deadline).</summary>
    private void Recovering()
    {
        Receive<FleetJournal.Recovered>(recovered =>
        {
            Timers.Cancel("recovery");
            Rebuild(recovered.State);
            _storeProblem = null;
            Timers.StartPeriodicTimer("poll", Poll.Instance, _settings.PollInterval);
            Become(Ready);
            Stash.UnstashAll();
        });
        Receive<Terminated>(t => t.ActorRef.Equals(_store), _ => Unavailable("the journal could not be read"));
        Receive<RecoveryDeadline>(_ => Unavailable($"the journal was not read within {RecoveryTimeout.TotalSeconds:0} s"));
        Receive<RetryRecovery>(_ => StartStore());
        ReceiveAny(message =>
        {
            if (_storeProblem is null || message is ClusterEvent.MemberUp)
                Stash.Stash();
            else if (message is not Retry && message is not Poll)
                Sender.Tell(CommandResult.Conflict($"The fleet store is unavailable ({_storeProblem}); the fleet coordinator tries again every {RecoveryRetry.TotalSeconds:0} s"));
        });
    }

    private void StartStore()
    {
        _store = Context.ActorOf(FleetStore.Props(_settings.FinishedPerVm), $"store-{Guid.NewGuid():N}"[..14]);
        Context.Watch(_store);
        Timers.StartSingleTimer("recovery", RecoveryDeadline.Instance, RecoveryTimeout);
    }

    private void Unavailable(string problem)
    {
        _storeProblem = problem;
        _log.Error("Fleet store unavailable: {0}; retrying in {1:0} s", problem, RecoveryRetry.TotalSeconds);
        Context.Unwatch(_store);
        Context.Stop(_store);
        Timers.Cancel("recovery");
        Timers.StartSingleTimer("retry-recovery", RetryRecovery.Instance, RecoveryRetry);
        // Whatever waited gets an answer now rather than a timeout.
        Stash.UnstashAll();
    }

    /// <summary>The in-memory view from the durable state: permits are held again for running migrations.</summary>
    private void Rebuild(FleetJournal.FleetSnapshot state)
    {
        var now = DateTime.UtcNow;
        foreach (var a in state.Active)
        {
            var admission = new Admission(a.Record, a.Size, a.Capabilities, a.Parameters, a.OnTimeout);
            if (a.StartedAt is { } started)
            {
                _ledger.Restore(a.Record.Vm, a.Record.Source, a.Record.Destination, a.Record.Kind);
                admission.Started = true;
                admission.StartedAt = started.UtcDateTime;
                admission.LastProgressAt = now; // progress is judged afresh: nobody watched it meanwhile
            }
            else
            {
                _ledger.Enqueue(a.Record.Vm, a.Record.Source, a.Record.Destination, a.Record.Kind, out _);
            }
            _active[a.Record.Vm] = admission;
        }
        foreach (var f in state.Finished)
        {
            (_finished.TryGetValue(f.Record.Vm, out var list) ? list : _finished[f.Record.Vm] = []).Add(f.Record);
            if (f.Final is { } final && (!_finals.TryGetValue(f.Record.Vm, out var known) || known.StartedAt < final.StartedAt))
                _finals[f.Record.Vm] = final;
        }
        _draining.UnionWith(state.Draining);
        foreach (var e in state.Evacuations)
        {
            var job = new EvacuationJob();
            job.Vms.UnionWith(e.Vms);
            foreach (var (vm, n) in e.Attempts)
                job.Attempts[vm] = n;
            foreach (var (vm, due) in e.RetryDue)
            {
                job.RetryPending.Add(vm);
                var wait = due.UtcDateTime - now;
                Timers.StartSingleTimer($"retry-{vm}", new Retry(e.Host, vm), wait > TimeSpan.Zero ? wait : TimeSpan.Zero);
            }
            _evacuations[e.Host] = job;
        }
        foreach (var (vm, host) in state.Placement)
            _placement[vm] = host;
        if (state.Active.Count + state.Evacuations.Count > 0)
            _log.Info("Fleet: recovered {0} migration(s) ({1} running) and {2} evacuation(s) from the journal",
                state.Active.Count, state.Active.Count(a => a.StartedAt is not null), state.Evacuations.Count);
    }

    /// <summary>Makes an event durable before the coordinator acts on it.</summary>
    private async Task Write(FleetJournal.IFleetEvent e)
    {
        try
        {
            await _store.Ask<FleetJournal.Written>(e, WriteTimeout);
        }
        catch (Exception failure) when (failure is AskTimeoutException or TaskCanceledException)
        {
            throw new StoreUnavailable($"the fleet journal did not confirm a write within {WriteTimeout.TotalSeconds:0} s", failure);
        }
    }

    /// <summary>Runs a command; if the journal fails, the caller hears why and the coordinator restarts from what was written.</summary>
    private async Task Answering(IActorRef replyTo, Func<Task<object>> command)
    {
        object answer;
        try
        {
            answer = await command();
        }
        catch (StoreUnavailable e)
        {
            replyTo.Tell(CommandResult.Conflict($"The fleet store is unavailable ({e.Message}); try again"));
            throw;
        }
        replyTo.Tell(answer);
    }

    // ---- commands ----------------------------------------------------------------------------

    private void Ready()
    {
        ReceiveAsync<RequestMigration>(Admit);
        ReceiveAsync<Evacuate>(StartEvacuation);
        ReceiveAsync<CancelEvacuation>(StopEvacuation);
        ReceiveAsync<Undrain>(UndrainHost);
        ReceiveAsync<Rebalance>(StartRebalance);
        ReceiveAsync<CancelQueued>(cancel => Answering(Sender, async () =>
        {
            if (_ledger.IsQueued(cancel.Vm))
                await Finish(cancel.Vm, MigrationStatus.Cancelled, "migration cancelled by request while it waited for a permit");
            return CommandResult.Ok;
        }));
        ReceiveAsync<Poll>(_ => Follow());
        ReceiveAsync<Retry>(RetryEvacuation);
        Receive<ListMigrations>(_ => Sender.Tell(new MigrationList(
            _active.Values.Select(a => a.Record).Concat(_finished.Values.SelectMany(f => f))
                .OrderByDescending(r => r.AdmittedAt).ToArray())));
        Receive<GetFinal>(get => Sender.Tell(new FinalOf(get.Vm, _finals.GetValueOrDefault(get.Vm))));
        Receive<GetPermits>(_ => Sender.Tell(new Permits(
            _ledger.HeldCount,
            _ledger.Queued.Count,
            _settings.Limits,
            _ledger.Held.GroupBy(h => h.Source).ToDictionary(g => g.Key, g => g.Count()),
            _ledger.Held.GroupBy(h => h.Destination).ToDictionary(g => g.Key, g => g.Count()),
            HostRole.NameIn(Cluster.Get(Context.System).SelfMember.Roles))));
        Receive<Terminated>(t =>
        {
            if (t.ActorRef.Equals(_store))
                throw new StoreUnavailable("the fleet journal writer stopped");
        });
        Receive<ClusterEvent.MemberUp>(up =>
        {
            if (HostRole.NameIn(up.Member.Roles) is { } host && _draining.Contains(host))
                Context.ActorSelection(MigrationNode.HostPath(up.Member.Address)).Tell(new HostProtocol.SetDraining(true));
        });
        Receive<CommandResult>(_ => { }); // the hosts' answers to those

    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(FleetProtocol.Settings settings) => Akka.Actor.Props.Create(() => new FleetCoordinator(settings));

    protected override void PreStart()
    {
        StartStore();
        // Every member that is or comes up hears again whether it drains: a node restarted since forgot.
        Cluster.Get(Context.System).Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsEvents, typeof(ClusterEvent.MemberUp));
    }

    protected override void PostStop() => Cluster.Get(Context.System).Unsubscribe(Self);

    protected override SupervisorStrategy SupervisorStrategy() => new OneForOneStrategy(_ => Directive.Stop);

    // ---- the cluster as the coordinator sees it ----------------------------------------------

    private Dictionary<string, Address> UpHosts()
    {
        var state = Cluster.Get(Context.System).State;
        return state.Members
            .Where(m => m.Status == MemberStatus.Up && !state.Unreachable.Contains(m))
            .Select(m => (Name: HostRole.NameIn(m.Roles), m.Address))
            .Where(m => m.Name is not null)
            .ToDictionary(m => m.Name!, m => m.Address);
    }

    private async Task<object?> AskHost(Address host, object message)
    {
        try
        {
            return await Context.ActorSelection(MigrationNode.HostPath(host)).Ask<object>(message, AskTimeout);
        }
        catch (AskTimeoutException)
        {
            return null;
        }
    }

    private async Task<List<(string Host, HostProtocol.HostStatus Status, HostProtocol.VmList List)>> Snapshot(Dictionary<string, Address> hosts)
    {
        // Every ask at once: a host that does not answer costs one ask timeout, not one per question.
        var answers = await Task.WhenAll(hosts.Select(async h =>
        {
            var status = AskHost(h.Value, HostProtocol.GetStatus.Instance);
            var list = AskHost(h.Value, HostProtocol.ListVms.Instance);
            return (h.Key, Status: await status as HostProtocol.HostStatus, List: await list as HostProtocol.VmList);
        }));
        var snapshot = answers.Where(a => a.Status is not null && a.List is not null).Select(a => (a.Key, a.Status!, a.List!)).ToList();
        await RecordPlacement(snapshot);
        return snapshot;
    }

    /// <summary>Keeps the durable placement in step with what the hosts report, writing only changes.</summary>
    private async Task RecordPlacement(List<(string Host, HostProtocol.HostStatus Status, HostProtocol.VmList List)> snapshot)
    {
        var seen = new Dictionary<string, string>();
        foreach (var (host, _, list) in snapshot)
            foreach (var vm in list.Vms.Where(v => v.State != "stopped"))
                seen.TryAdd(vm.Name, host);
        foreach (var (vm, host) in seen.Where(s => _placement.GetValueOrDefault(s.Key) != s.Value).ToArray())
        {
            await Write(new FleetJournal.PlacementSeen(vm, host));
            _placement[vm] = host;
        }
        // Gone only when the host it was on answered without it, and no other host has it.
        var answered = snapshot.Select(s => s.Host).ToHashSet();
        foreach (var vm in _placement.Where(p => answered.Contains(p.Value) && !seen.ContainsKey(p.Key)).Select(p => p.Key).ToArray())
        {
            await Write(new FleetJournal.PlacementSeen(vm, null));
            _placement.Remove(vm);
        }
    }

    /// <summary>Memory promised to queued migrations into a host, which its own count does not show yet.</summary>
    private long Reserved(string host) =>
        _active.Values.Where(a => !a.Started && a.Record.Destination == host).Sum(a => a.Size);

    // ---- admission ---------------------------------------------------------------------------

    private Task Admit(RequestMigration request) => Answering(Sender, () => TryAdmit(request));

    private async Task<object> TryAdmit(RequestMigration request)
    {
        if (_active.ContainsKey(request.Vm))
            return CommandResult.Conflict("There's a migration process in progress");
        if (request.Capabilities?.Check() is { } capsError)
            return CommandResult.Fail(capsError);
        try
        {
            (request.Parameters ?? []).Aggregate(new MigrationParameters(), (p, c) => p.With(c.Name, c.Value));
        }
        catch (MigrationArgumentException e)
        {
            return CommandResult.Fail(e.Message);
        }
        var hosts = UpHosts();
        var snapshot = await Snapshot(hosts);
        var found = snapshot.SelectMany(s => s.List.Vms.Select(vm => (s.Host, Vm: vm))).FirstOrDefault(x => x.Vm.Name == request.Vm);
        if (found.Vm is null)
            return CommandResult.NotFound($"VM '{request.Vm}' not found");
        if (!hosts.ContainsKey(request.To))
            return CommandResult.NotFound($"Host '{request.To}' not found");
        if (request.To == found.Host)
            return CommandResult.Conflict($"VM '{request.Vm}' already runs on host {request.To}: pick another destination host");
        var destination = snapshot.FirstOrDefault(s => s.Host == request.To);
        if (destination.Status is null)
            return CommandResult.Conflict($"Host {request.To} did not answer: it cannot take a VM now");
        if (_draining.Contains(request.To) || destination.Status.Draining)
            return CommandResult.Conflict($"Host {request.To} is draining: nothing new lands there (undrain it to accept VMs again)");
        var size = found.Vm.Devices.Sum(d => d.Size);
        var free = destination.Status.Capacity - destination.Status.Used - Reserved(request.To);
        if (size > free)
            return CommandResult.Conflict($"Not enough free capacity on host {request.To}: VM '{request.Vm}' needs {size} bytes, {Math.Max(0, free)} of {destination.Status.Capacity} are free");
        var (admission, refusal) = await Enqueue(request.Vm, found.Host, request.To, size, MigrationPriority.User, request.Capabilities, request.Parameters,
            request.OnTimeout ?? _settings.Timeouts.Action, evacuation: null);
        if (admission is null)
            return CommandResult.Conflict(refusal!);
        await StartGranted();
        var record = admission.Record;
        return new MigrationAdmitted(record.Id, record.Vm, record.Source, record.Destination, record.Status);
    }

    private async Task<(Admission? Admission, string? Refusal)> Enqueue(string vm, string source, string destination, long size, MigrationPriority kind,
        MigrationCapabilities? capabilities, IReadOnlyList<(string Name, string Value)>? parameters, TimeoutAction onTimeout, string? evacuation)
    {
        if (!_ledger.Enqueue(vm, source, destination, kind, out var refusal))
            return (null, refusal);
        var record = new MigrationRecord(MigrationId.New(), vm, source, destination, MigrationStatus.Queued, 0, size, 0, 0, null, kind, DateTimeOffset.UtcNow);
        await Write(new FleetJournal.MigrationQueued(record, size, capabilities, parameters, onTimeout, evacuation));
        var admission = new Admission(record, size, capabilities, parameters, onTimeout);
        _active[vm] = admission;
        if (evacuation is not null && _evacuations.TryGetValue(evacuation, out var job))
        {
            job.Vms.Add(vm);
            job.RetryPending.Remove(vm);
        }
        _log.Info("Fleet: {0} migration {1} of {2} from {3} to {4} admitted", kind, record.Id, vm, source, destination);
        return (admission, null);
    }

    /// <summary>Starts every migration the ledger can grant now; one that cannot start gives its permit back.</summary>
    private async Task StartGranted()
    {
        for (var granted = _ledger.Grant(); granted.Count > 0; granted = _ledger.Grant())
        {
            foreach (var permit in granted)
            {
                var admission = _active[permit.Vm];
                var hosts = UpHosts();
                if (!hosts.TryGetValue(permit.Source, out var source) || !hosts.TryGetValue(permit.Destination, out var destination))
                {
                    await Finish(permit.Vm, MigrationStatus.Failed, $"host {(hosts.ContainsKey(permit.Source) ? permit.Destination : permit.Source)} is not up");
                    continue;
                }
                // Durable before the host hears of it: a successor then follows this migration instead of starting another.
                var startedAt = DateTimeOffset.UtcNow;
                await Write(new FleetJournal.PermitGranted(permit.Vm, admission.Record.Id, startedAt));
                admission.Started = true;
                admission.StartedAt = admission.LastProgressAt = startedAt.UtcDateTime;
                admission.Record = admission.Record with { Status = MigrationStatus.Setup };
                var answer = await AskHost(source, new HostProtocol.Migrate(permit.Vm, destination, admission.Capabilities, WithFleetBandwidth(admission.Parameters), admission.Record.Id));
                if (answer is not HostProtocol.MigrationStarted)
                    await Finish(permit.Vm, MigrationStatus.Failed, answer is CommandResult { Error: { } error } ? error : $"host {permit.Source} did not start the migration");
            }
        }
    }

    /// <summary>The fleet's bandwidth per migration, where the migration did not ask for its own.</summary>
    private IReadOnlyList<(string Name, string Value)>? WithFleetBandwidth(IReadOnlyList<(string Name, string Value)>? parameters) =>
        _settings.MaxBandwidth <= 0 || (parameters ?? []).Any(p => p.Name == "max-bandwidth")
            ? parameters
            : [.. parameters ?? [], ("max-bandwidth", _settings.MaxBandwidth.ToString(System.Globalization.CultureInfo.InvariantCulture))];

    // ---- following running migrations -------------------------------------------------------

    private async Task Follow()
    {
        var hosts = UpHosts();
        var running = _active.Values.Where(a => a.Started).ToArray();
        // Asked all at once, judged one by one: a silent source delays the poll by one ask timeout, not one per migration.
        var queries = running.ToDictionary(a => a.Record.Vm, a => hosts.TryGetValue(a.Record.Source, out var at)
            ? AskHost(at, new HostProtocol.QueryMigrate(a.Record.Vm))
            : Task.FromResult<object?>(null));
        await Task.WhenAll(queries.Values);
        foreach (var admission in running)
        {
            var record = admission.Record;
            if (!hosts.TryGetValue(record.Source, out var source))
            {
                await Finish(record.Vm, MigrationStatus.Failed, $"source host {record.Source} left the cluster");
                continue;
            }
            var answer = await queries[record.Vm];
            if (answer is MigrationInfo info && info.Id == record.Id)
            {
                admission.Unanswered = 0;
                await Observe(admission, info);
                if (_active.ContainsKey(record.Vm))
                    await EnforceTimeouts(admission, source);
            }
            else if (++admission.Unanswered >= MaxUnanswered)
            {
                await Finish(record.Vm, MigrationStatus.Failed, $"source host {record.Source} gave no news of the migration for {MaxUnanswered} polls");
            }
        }
        await StartGranted();
        foreach (var (host, job) in _evacuations.ToArray())
        {
            if (!job.Vms.Any(_active.ContainsKey) && job.RetryPending.Count == 0 && !_active.Values.Any(a => a.Record.Destination == host))
            {
                await Write(new FleetJournal.EvacuationEnded(host, Cancelled: false));
                _evacuations.Remove(host);
                _log.Info("Fleet: evacuation of {0} ended", host);
            }
        }
    }

    private async Task Observe(Admission admission, MigrationInfo info)
    {
        // A migration that ended without completing reports nothing remaining: keep what remained when it stopped.
        var remaining = info.Status.IsTerminal() && info.Status != MigrationStatus.Completed ? admission.Record.Remaining : info.Remaining;
        var total = info.Transferred + remaining;
        var percent = info.Status == MigrationStatus.Completed ? 100 : total > 0 ? (int)Math.Min(99, info.Transferred * 100 / total) : 0;
        admission.LastInfo = info;
        admission.Record = admission.Record with
        {
            Status = info.Status,
            Transferred = info.Transferred,
            Remaining = remaining,
            Iteration = info.Ram.DirtySyncCount,
            Percent = Math.Max(admission.Record.Percent, percent), // never backwards
            Reason = info.ErrorDesc,
        };
        if (info.Status is MigrationStatus.Active or MigrationStatus.Setup && info.Remaining < admission.LeastRemaining)
        {
            admission.LeastRemaining = info.Remaining;
            admission.LastProgressAt = DateTime.UtcNow;
        }
        if (info.Status.IsTerminal())
            await Finish(admission.Record.Vm, info.Status, admission.Intervention is { } why && info.ErrorDesc != why
                ? $"{why}; {info.ErrorDesc ?? info.Status.Name()}"
                : info.ErrorDesc);
    }

    /// <summary>
    /// KubeVirt's completion and progress timeouts. Abort cancels (the VM stays on its source); pause
    /// stops the guest so the migration converges. Either happens once per migration.
    /// </summary>
    private async Task EnforceTimeouts(Admission admission, Address source)
    {
        if (admission.Intervention is not null)
            return;
        var timeouts = _settings.Timeouts;
        var now = DateTime.UtcNow;
        var completion = timeouts.CompletionFor(admission.Size);
        string? expired = null;
        if (now - admission.StartedAt > completion)
            expired = $"completion timeout ({completion.TotalSeconds:0} s for {admission.Size} bytes) expired";
        else if (now - admission.LastProgressAt > timeouts.Progress)
            expired = $"progress timeout ({timeouts.Progress.TotalSeconds:0} s without a drop in remaining bytes) expired";
        if (expired is null)
            return;
        var vm = admission.Record.Vm;
        if (admission.OnTimeout == TimeoutAction.Pause)
        {
            admission.Intervention = $"{expired}: guest paused so the migration converges";
            await AskHost(source, new HostProtocol.PauseGuest(vm));
        }
        else
        {
            admission.Intervention = $"{expired}: migration aborted, the VM stays on {admission.Record.Source}";
            await AskHost(source, new HostProtocol.MigrateCancel(vm, admission.Intervention));
        }
        admission.Record = admission.Record with { Reason = admission.Intervention };
        _log.Warning("Fleet: {0} of {1}: {2}", admission.Record.Id, vm, admission.Intervention);
    }

    /// <summary>The migration is terminal: its permit goes back, its record joins the VM's history.</summary>
    private async Task Finish(string vm, MigrationStatus status, string? reason)
    {
        if (!_active.TryGetValue(vm, out var admission))
            return;
        var record = admission.Record with { Status = status, Reason = reason ?? admission.Record.Reason };
        await Write(new FleetJournal.MigrationEnded(record, admission.LastInfo));
        _active.Remove(vm);
        if (!_ledger.Release(vm))
            _ledger.Withdraw(vm);
        var history = _finished.TryGetValue(vm, out var list) ? list : _finished[vm] = [];
        history.Insert(0, record);
        if (history.Count > _settings.FinishedPerVm)
            history.RemoveRange(_settings.FinishedPerVm, history.Count - _settings.FinishedPerVm);
        if (status == MigrationStatus.Completed)
            _placement[vm] = record.Destination;
        if (admission.LastInfo is { } last)
            _finals[vm] = last;
        _log.Info("Fleet: migration {0} of {1} ended {2}{3}", record.Id, vm, status.Name(), reason is null ? "" : $": {reason}");
        // A failed evacuation migration is tried again, later and later, until the evacuation is cancelled;
        // so is one our own timeout aborted (the host must still be emptied), but not one a user cancelled.
        var timedOut = status == MigrationStatus.Cancelled && admission.Intervention is not null && admission.OnTimeout == TimeoutAction.Abort;
        if (status == MigrationStatus.Cancelled && admission.Redirected && record.Kind == MigrationPriority.Evacuation
            && _evacuations.TryGetValue(record.Source, out var redirected) && redirected.Vms.Contains(vm))
        {
            // Its destination began to drain: planned again now, among the hosts that still take VMs. Not an attempt.
            await PlanAgain(record.Source, vm, redirected, $"its destination {record.Destination} began to drain");
        }
        else if (status == MigrationStatus.Completed && _evacuations.TryGetValue(record.Destination, out var landed))
        {
            // Landed on a host being evacuated (its cancel came too late, after the commit): it joins that host's plan.
            await PlanAgain(record.Destination, vm, landed, $"it landed on {record.Destination}, which is being evacuated");
        }
        else if ((status == MigrationStatus.Failed || timedOut) && record.Kind == MigrationPriority.Evacuation
            && _evacuations.TryGetValue(record.Source, out var job) && job.Vms.Contains(vm))
        {
            var attempt = job.Attempts.GetValueOrDefault(vm) + 1;
            var backoff = _settings.RetryBackoff * Math.Pow(2, Math.Min(attempt - 1, 10));
            await Write(new FleetJournal.RetryScheduled(record.Source, vm, attempt, DateTimeOffset.UtcNow + backoff));
            job.Attempts[vm] = attempt;
            job.RetryPending.Add(vm);
            Timers.StartSingleTimer($"retry-{vm}", new Retry(record.Source, vm), backoff);
            _log.Warning("Fleet: evacuation of {0} from {1} will be tried again in {2:0} s (attempt {3})", vm, record.Source, backoff.TotalSeconds, attempt + 1);
        }
    }

    /// <summary>A VM of an evacuation to plan again at once (durably, as a retry due now).</summary>
    private async Task PlanAgain(string host, string vm, EvacuationJob job, string why)
    {
        await Write(new FleetJournal.RetryScheduled(host, vm, job.Attempts.GetValueOrDefault(vm), DateTimeOffset.UtcNow));
        job.Vms.Add(vm);
        job.RetryPending.Add(vm);
        Timers.StartSingleTimer($"retry-{vm}", new Retry(host, vm), TimeSpan.Zero);
        _log.Info("Fleet: {0} is planned again for the evacuation of {1}: {2}", vm, host, why);
    }

    private async Task RetryEvacuation(Retry retry)
    {
        if (!_evacuations.TryGetValue(retry.Host, out var job) || !job.RetryPending.Contains(retry.Vm) || _active.ContainsKey(retry.Vm))
            return;
        var snapshot = await Snapshot(UpHosts());
        var vm = snapshot.Where(s => s.Host == retry.Host).SelectMany(s => s.List.Vms).FirstOrDefault(v => v.Name == retry.Vm);
        var plan = vm is null
            ? null
            : EvacuationPlanner.Plan(retry.Host, Loads(snapshot), [new VmLoad(vm.Name, retry.Host, vm.Devices.Sum(d => d.Size))]);
        if (plan is null || plan.Moves.Count == 0)
        {
            // Gone from the host meanwhile, or no room anywhere now: nothing to move on this attempt.
            await Write(new FleetJournal.RetryDropped(retry.Host, retry.Vm));
            job.RetryPending.Remove(retry.Vm);
            foreach (var stays in plan?.Unplaceable ?? [])
                _log.Warning("Fleet: {0} stays on {1}: {2}", stays.Vm, retry.Host, stays.Reason);
            return;
        }
        foreach (var move in plan.Moves)
            await Enqueue(move.Vm, move.From, move.To, move.Size, MigrationPriority.Evacuation, null, null, _settings.Timeouts.Action, evacuation: retry.Host);
        await StartGranted();
    }

    private HostLoad[] Loads(IEnumerable<(string Host, HostProtocol.HostStatus Status, HostProtocol.VmList List)> snapshot) =>
        snapshot.Select(s => new HostLoad(
            s.Host, s.Status.Capacity, s.Status.Used + Reserved(s.Host), _draining.Contains(s.Host) || s.Status.Draining, Reachable: true)).ToArray();

    // ---- evacuation --------------------------------------------------------------------------

    private Task StartEvacuation(Evacuate evacuate) => Answering(Sender, async () =>
    {
        var hosts = UpHosts();
        if (!hosts.TryGetValue(evacuate.Host, out var address))
            return CommandResult.NotFound($"Host '{evacuate.Host}' not found");
        if (_evacuations.ContainsKey(evacuate.Host))
            return CommandResult.Conflict($"Host {evacuate.Host} is already being evacuated");
        await Write(new FleetJournal.EvacuationBegan(evacuate.Host));
        _draining.Add(evacuate.Host);
        var job = _evacuations[evacuate.Host] = new EvacuationJob();
        await AskHost(address, new HostProtocol.SetDraining(true));
        var snapshot = await Snapshot(hosts);
        var loads = Loads(snapshot);
        // A VM already migrating keeps its migration; everything else on the host is planned.
        var vms = snapshot.Where(s => s.Host == evacuate.Host)
            .SelectMany(s => s.List.Vms)
            .Where(vm => !_active.ContainsKey(vm.Name))
            .Select(vm => new VmLoad(vm.Name, evacuate.Host, vm.Devices.Sum(d => d.Size)))
            .ToArray();
        var plan = EvacuationPlanner.Plan(evacuate.Host, loads, vms);
        foreach (var move in plan.Moves)
            await Enqueue(move.Vm, move.From, move.To, move.Size, MigrationPriority.Evacuation, null, null, _settings.Timeouts.Action, evacuation: evacuate.Host);
        foreach (var stays in plan.Unplaceable)
            _log.Warning("Fleet: {0} stays on {1}: {2}", stays.Vm, evacuate.Host, stays.Reason);
        await StopInbound(evacuate.Host, hosts);
        await StartGranted();
        return new EvacuationStarted(evacuate.Host, plan.Moves, plan.Unplaceable);
    });

    /// <summary>
    /// Nothing new lands on a host being drained, whatever was on its way there: a queued migration into it is
    /// withdrawn, a running one cancelled (the VM stays on its source), and an evacuation move of another host
    /// is planned again elsewhere. One whose cancel comes too late (after its commit) joins this host's plan
    /// when it lands (<see cref="Finish"/>), and the evacuation does not end before it has.
    /// </summary>
    private async Task StopInbound(string host, Dictionary<string, Address> hosts)
    {
        foreach (var admission in _active.Values.Where(a => a.Record.Destination == host).ToArray())
        {
            var vm = admission.Record.Vm;
            admission.Redirected = true;
            if (!admission.Started)
            {
                admission.Intervention = $"host {host} is being evacuated: nothing new lands there; withdrawn before it started";
                await Finish(vm, MigrationStatus.Cancelled, admission.Intervention);
                continue;
            }
            admission.Intervention = $"host {host} is being evacuated: nothing new lands there; migration cancelled, the VM stays on {admission.Record.Source}";
            admission.Record = admission.Record with { Reason = admission.Intervention };
            _log.Warning("Fleet: {0} of {1}: {2}", admission.Record.Id, vm, admission.Intervention);
            if (hosts.TryGetValue(admission.Record.Source, out var source))
                await AskHost(source, new HostProtocol.MigrateCancel(vm, admission.Intervention));
        }
    }

    private Task StopEvacuation(CancelEvacuation cancel) => Answering(Sender, async () =>
    {
        if (!_evacuations.TryGetValue(cancel.Host, out var job))
            return CommandResult.Ok; // nothing to stop
        await Write(new FleetJournal.EvacuationEnded(cancel.Host, Cancelled: true));
        _evacuations.Remove(cancel.Host);
        foreach (var vm in job.RetryPending)
            Timers.Cancel($"retry-{vm}");
        var hosts = UpHosts();
        foreach (var vm in job.Vms.Where(_active.ContainsKey))
        {
            if (_ledger.IsQueued(vm))
                await Finish(vm, MigrationStatus.Cancelled, "evacuation cancelled before this migration started");
            else if (cancel.AbortRunning && hosts.TryGetValue(cancel.Host, out var source))
                await AskHost(source, new HostProtocol.MigrateCancel(vm, $"evacuation of {cancel.Host} cancelled with abort-running: migration aborted, the VM stays on {cancel.Host}"));
        }
        _log.Info("Fleet: evacuation of {0} cancelled{1}", cancel.Host, cancel.AbortRunning ? ", running migrations aborted" : "; running migrations finish");
        return CommandResult.Ok;
    });

    /// <summary>Spread of memory use the rebalance aims for: within 10% of capacity between fullest and emptiest host.</summary>
    public const double RebalanceBound = 0.10;

    private Task StartRebalance(Rebalance rebalance) => Answering(Sender, async () =>
    {
        if (rebalance.MaxMoves is < 1 or > 1000)
            return CommandResult.Fail($"max-moves must be 1 to 1000, not {rebalance.MaxMoves}");
        var snapshot = await Snapshot(UpHosts());
        // VMs already migrating stay out of the plan; the load they bring is counted where they go.
        var vms = snapshot.SelectMany(s => s.List.Vms.Where(vm => !_active.ContainsKey(vm.Name))
            .Select(vm => new VmLoad(vm.Name, s.Host, vm.Devices.Sum(d => d.Size)))).ToArray();
        var plan = RebalancePlanner.Plan(Loads(snapshot), vms, rebalance.MaxMoves, RebalanceBound);
        var admitted = new List<Placement>();
        foreach (var move in plan.Moves)
        {
            if ((await Enqueue(move.Vm, move.From, move.To, move.Size, MigrationPriority.User, null, null, _settings.Timeouts.Action, evacuation: null)).Admission is not null)
                admitted.Add(move);
        }
        await StartGranted();
        _log.Info("Fleet: rebalance of {0} move(s), spread {1:P0} -> {2:P0}", admitted.Count, plan.SpreadBefore, plan.SpreadAfter);
        return new RebalanceStarted(admitted, plan.SpreadBefore, plan.SpreadAfter, RebalanceBound);
    });

    private Task UndrainHost(Undrain undrain) => Answering(Sender, async () =>
    {
        var hosts = UpHosts();
        if (!hosts.TryGetValue(undrain.Host, out var address))
            return CommandResult.NotFound($"Host '{undrain.Host}' not found");
        if (_evacuations.TryGetValue(undrain.Host, out var job))
        {
            // Undrained with moves still to come, the host would take new VMs and be emptied at once: one or the other.
            var moves = job.Vms.Where(_active.ContainsKey).Select(vm => _active[vm]).ToArray();
            return CommandResult.Conflict(
                $"Host {undrain.Host} is being evacuated ({moves.Count(a => !a.Started)} move(s) queued, {moves.Count(a => a.Started)} running, " +
                $"{job.RetryPending.Count} to try again): cancel the evacuation first (orchestrator evacuate-cancel {undrain.Host}), then undrain it");
        }
        await Write(new FleetJournal.DrainingChanged(undrain.Host, Draining: false));
        _draining.Remove(undrain.Host);
        var answer = await AskHost(address, new HostProtocol.SetDraining(false));
        return answer as CommandResult ?? CommandResult.Conflict($"Host {undrain.Host} did not answer");
    });
}
