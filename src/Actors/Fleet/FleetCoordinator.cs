using Akka.Cluster;
using Akka.Persistence;
using Orchestrator.Actors.Wiring;
using static Orchestrator.Actors.Fleet.FleetProtocol;
using static Orchestrator.Actors.Fleet.Journal.FleetEvents;

namespace Orchestrator.Actors.Fleet;

/// <summary>
/// Admits, runs and follows every migration of the cluster, as a cluster singleton. A migration holds its permits from admission to its end
/// (REFERENCE §5: limits checked against a stale view are exceeded under races). <see cref="FleetState"/> changes only through events made
/// durable before the coordinator acts, so a successor recovers migrations, evacuations and history without duplicating or losing a VM.
/// </summary>
internal sealed partial class FleetCoordinator : ReceivePersistentActor, IWithTimers
{
    /// <summary>Time to judge running migrations: timeouts, silent sources, evacuations that are over.</summary>
    private sealed record Judge { public static readonly Judge Instance = new(); }

    /// <summary>Time to plan a failed evacuation move again; the timer is keyed by <see cref="RetryTimer"/>.</summary>
    private sealed record Retry(string Host, string Vm);

    private sealed record RetryTimer(string Vm);

    /// <summary>A source's answer to the safety-net question, or null when it gave none.</summary>
    private sealed record Heard(string Vm, MigrationId Id, object? Answer);

    /// <summary>The source host's answer to the start of a granted migration.</summary>
    private sealed record StartAnswered(string Vm, MigrationId Id, object? Answer);

    /// <summary>A source silent this long about a running migration is given up on.</summary>
    private static readonly TimeSpan NoNewsLimit = TimeSpan.FromSeconds(30);

    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly FleetProtocol.Settings _settings;
    private readonly TimeProvider _clock;
    private FleetState _state;
    private readonly Dictionary<string, MigrationProgress> _progress = [];
    private readonly List<IFleetEvent> _unsaved = [];
    private readonly List<Action> _effects = [];
    private long _snapshotAt;

    public FleetCoordinator(FleetProtocol.Settings settings, TimeProvider? clock = null)
    {
        _settings = settings;
        _clock = clock ?? TimeProvider.System;
        _state = new FleetState(settings.Limits.Validated(), settings.FinishedPerVm);
        Recover<SnapshotOffer>(offer =>
        {
            if (offer.Snapshot is FleetSnapshot snapshot)
            {
                _state = FleetState.From(snapshot, settings.Limits.Validated(), settings.FinishedPerVm);
                _snapshotAt = offer.Metadata.SequenceNr;
            }
        });
        Recover<IFleetEvent>(e => _state.Apply(e));
        Recover<RecoveryCompleted>(_ => Recovered());
        Ready();
    }

    public override string PersistenceId => FleetEvents.PersistenceId;

    public ITimerScheduler Timers { get; set; } = null!;

    /// <summary>The coordinator as the singleton runs it, under a <see cref="FleetSupervisor"/>.</summary>
    public static Props Supervised(FleetProtocol.Settings settings) =>
        Props.Create(() => new FleetSupervisor(Props.Create(() => new FleetCoordinator(settings, null))));

    protected override void PreStart()
    {
        // Every member that is or comes up hears again whether it drains: a node restarted since forgot.
        Cluster.Get(Context.System).Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsEvents, typeof(ClusterEvent.MemberUp));
    }

    protected override void PostStop() => Cluster.Get(Context.System).Unsubscribe(Self);

    protected override void OnPersistRejected(Exception cause, object @event, long sequenceNr)
    {
        // The state already holds it: start over from what the journal holds instead of acting on it.
        _log.Error(cause, "Fleet journal rejected {0}: {1}", @event.GetType().Name, cause.Message);
        throw new InvalidOperationException($"the fleet journal rejected {@event.GetType().Name}", cause);
    }

    private void Recovered()
    {
        var now = _clock.GetUtcNow();
        foreach (var job in _state.Evacuations.Values)
            foreach (var (vm, due) in job.RetryDue)
                Timers.StartSingleTimer(new RetryTimer(vm), new Retry(job.Host, vm), due > now ? due - now : TimeSpan.Zero);
        // Progress is judged afresh: nobody watched it meanwhile.
        foreach (var running in _state.Active.Values.Where(a => a.Started))
            _progress[running.Vm] = new MigrationProgress(running.Id, now);
        Timers.StartPeriodicTimer(Judge.Instance, Judge.Instance, _settings.PollInterval);
        Context.Parent.Tell(FleetSupervisor.Ready.Instance);
        _log.Info("Fleet: recovered at event {0}: {1} migration(s) ({2} running), {3} evacuation(s)",
            LastSequenceNr, _state.Active.Count, _progress.Count, _state.Evacuations.Count);
    }

    // ---- behaviours --------------------------------------------------------------------------

    /// <summary>No decision in flight: commands that need the hosts' answers start one.</summary>
    private void Ready()
    {
        On<RequestMigration>(Admit);
        On<Evacuate>(StartEvacuation);
        On<CancelEvacuation>(StopEvacuation);
        On<Undrain>(UndrainHost);
        On<Rebalance>(StartRebalance);
        On<Retry>(RetryEvacuation);
        Common(deciding: null);
    }

    /// <summary>Waits for the hosts' answers to <paramref name="decision"/> (bounded by the ask timeout): other decisions wait, the rest is answered.</summary>
    private void Deciding(Decision decision)
    {
        On<Decided>(decided =>
        {
            // Back to Ready first: the decision may need another round of answers (it then decides again).
            UnbecomeStacked();
            RecordPlacement(decided.Views);
            decided.Decision.Run(decided.Views);
            Stash.UnstashAll();
        });
        Command<RequestMigration>(_ => Stash.Stash());
        Command<Evacuate>(_ => Stash.Stash());
        Command<CancelEvacuation>(_ => Stash.Stash());
        Command<Undrain>(_ => Stash.Stash());
        Command<Rebalance>(_ => Stash.Stash());
        Command<Retry>(_ => Stash.Stash());
        Common(decision);
    }

    /// <summary>Queries, cancels of queued migrations, the sources' news and the judging tick: answered in every behaviour.</summary>
    private void Common(Decision? deciding)
    {
        On<CancelQueued>(cancel =>
        {
            if (_state.Permits.IsQueued(cancel.Vm))
                Finish(cancel.Vm, MigrationStatus.Cancelled, "migration cancelled by request while it waited for a permit");
            Reply(CommandResult.Ok);
        });
        On<MigrationReport>(report => OnNews(report.Vm, report.Info.Id, report.Info, deciding));
        On<Heard>(heard => OnNews(heard.Vm, heard.Id, heard.Answer, deciding));
        On<StartAnswered>(answered => OnStartAnswered(answered, deciding));
        On<Judge>(_ => JudgeRunning(deciding));
        Command<ListMigrations>(_ => Sender.Tell(new MigrationList(
            _state.ActiveInOrder.Select(RecordOf)
                .Concat(_state.Finished.Values.SelectMany(f => f).Select(FleetState.RecordOf))
                .OrderByDescending(r => r.AdmittedAt).ToArray())));
        Command<GetFinal>(get => Sender.Tell(_state.Finished.GetValueOrDefault(get.Vm)?.FirstOrDefault() is { } last
            ? new FinalOf(get.Vm, last.Migration.Id, last.Outcome)
            : new FinalOf(get.Vm, null, null)));
        Command<GetPermits>(_ => Sender.Tell(new Permits(
            _state.Permits.HeldCount,
            _state.Permits.Queued.Count,
            _settings.Limits,
            _state.Permits.Held.GroupBy(h => h.Source).ToDictionary(g => g.Key, g => g.Count()),
            _state.Permits.Held.GroupBy(h => h.Destination).ToDictionary(g => g.Key, g => g.Count()),
            HostRole.NameIn(Cluster.Get(Context.System).SelfMember.Roles))));
        Command<ClusterEvent.MemberUp>(up =>
        {
            if (HostRole.NameIn(up.Member.Roles) is { } host && _state.Draining.Contains(host))
                Context.ActorSelection(HostProtocol.PathOn(up.Member.Address)).Tell(new HostProtocol.SetDraining(true));
        });
        // The hosts' answers to what the coordinator told them without waiting.
        Command<CommandResult>(_ => { });
        Command<HostProtocol.NoMigration>(_ => { });
        Command<SaveSnapshotSuccess>(ok =>
        {
            // The snapshot covers everything before it: older events and snapshots only slow recovery.
            DeleteMessages(ok.Metadata.SequenceNr);
            DeleteSnapshots(new SnapshotSelectionCriteria(ok.Metadata.SequenceNr - 1));
        });
        Command<SaveSnapshotFailure>(failed => _log.Warning("Fleet snapshot failed: {0}", failed.Cause.Message));
        Command<DeleteMessagesSuccess>(_ => { });
        Command<DeleteMessagesFailure>(failed => _log.Warning("Fleet journal cleanup failed: {0}", failed.Cause.Message));
        Command<DeleteSnapshotsSuccess>(_ => { });
        Command<DeleteSnapshotsFailure>(failed => _log.Warning("Fleet snapshot cleanup failed: {0}", failed.Cause.Message));
    }

    private MigrationRecord RecordOf(FleetMigration m) =>
        _progress.TryGetValue(m.Vm, out var p) && p.Id == m.Id ? p.Record(m) : MigrationProgress.Queued(m);

    // ---- events first, then acts -------------------------------------------------------------

    /// <summary>
    /// A command handler: its events (<see cref="Emit"/>) enter the state at once, so the rest of the decision sees them; they are written
    /// together at its end, and only once durable do its acts (<see cref="After"/>: replies, host messages) run. Commands wait meanwhile.
    /// </summary>
    private void On<T>(Action<T> handler) => Command<T>(message =>
    {
        handler(message);
        Flush();
    });

    private void Emit(IFleetEvent e)
    {
        _state.Apply(e);
        _unsaved.Add(e);
    }

    private void After(Action act) => _effects.Add(act);

    private void Reply(object answer)
    {
        var replyTo = Sender;
        After(() => replyTo.Tell(answer));
    }

    private void Flush()
    {
        var events = _unsaved.ToArray();
        var acts = _effects.ToArray();
        _unsaved.Clear();
        _effects.Clear();
        if (events.Length == 0)
        {
            foreach (var act in acts)
                act();
            return;
        }
        var last = events[^1];
        PersistAll(events, written =>
        {
            if (!ReferenceEquals(written, last))
                return;
            if (LastSequenceNr - _snapshotAt >= SnapshotEvery)
            {
                SaveSnapshot(_state.ToSnapshot());
                _snapshotAt = LastSequenceNr;
            }
            foreach (var act in acts)
                act();
        });
    }

    // ---- decisions that need the hosts' answers ----------------------------------------------

    /// <summary>A command waiting for the hosts' answers: <paramref name="Run"/> decides with them.</summary>
    /// <param name="Evacuating">The host whose evacuation this decision plans, if any: it must not end meanwhile.</param>
    private sealed record Decision(Action<IReadOnlyList<HostView>> Run, string? Evacuating = null);

    private sealed record Decided(Decision Decision, IReadOnlyList<HostView> Views);

    /// <summary>Once this command's events are durable, asks the up hosts (<paramref name="only"/> those, if given); waits in <see cref="Deciding"/>.</summary>
    private void Decide(Decision decision, IReadOnlySet<string>? only = null)
    {
        var hosts = UpHosts;
        if (only is not null)
            hosts = hosts.Where(h => only.Contains(h.Key)).ToDictionary();
        var self = Self;
        After(() => HostViews.Ask(Context, hosts).PipeTo(self,
            success: views => new Decided(decision, views),
            failure: _ => new Decided(decision, [])));
        BecomeStacked(() => Deciding(decision));
    }

    /// <summary>Keeps the durable placement in step with what the hosts report, writing only changes (of the hosts that answered).</summary>
    private void RecordPlacement(IReadOnlyList<HostView> views)
    {
        var seen = new Dictionary<string, string>();
        foreach (var view in views)
            foreach (var vm in view.List.Vms.Where(v => v.State != "stopped"))
                seen.TryAdd(vm.Name, view.Host);
        foreach (var (vm, host) in seen.Where(s => _state.Placement.GetValueOrDefault(s.Key) != s.Value).ToArray())
            Emit(new PlacementSeen(vm, host));
        // Gone only when the host it was on answered without it, and no other host has it.
        var answered = views.Select(v => v.Host).ToHashSet();
        foreach (var vm in _state.Placement.Where(p => answered.Contains(p.Value) && !seen.ContainsKey(p.Key)).Select(p => p.Key).ToArray())
            Emit(new PlacementSeen(vm, null));
    }

    private HostLoad[] Loads(IEnumerable<HostView> views) =>
        views.Select(v => new HostLoad(
            v.Host, v.Status.Capacity, v.Status.Used + _state.Reserved(v.Host), _state.Draining.Contains(v.Host) || v.Status.Draining, Reachable: true)).ToArray();

    private ActorSelection HostAt(Address address) => Context.ActorSelection(HostProtocol.PathOn(address));

    private Dictionary<string, Address> UpHosts => HostViews.Up(Cluster.Get(Context.System));

    /// <summary>What the fleet has heard of <paramref name="vm"/>'s migration <paramref name="id"/>; heard from now on if nothing yet.</summary>
    private MigrationProgress ProgressOf(string vm, MigrationId id, DateTimeOffset now) =>
        _progress.TryGetValue(vm, out var p) && p.Id == id ? p : _progress[vm] = new MigrationProgress(id, now);

    /// <summary>Tells a host something once the events before it are durable; its answer comes back here and is dropped.</summary>
    private void TellHost(Address host, object message)
    {
        var selection = HostAt(host);
        var self = Self;
        After(() => selection.Tell(message, self));
    }
}
