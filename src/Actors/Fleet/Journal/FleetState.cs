using static Orchestrator.Actors.Fleet.FleetProtocol;
using static Orchestrator.Actors.Fleet.Journal.FleetEvents;

namespace Orchestrator.Actors.Fleet.Journal;

/// <summary>
/// The fleet's one state: admitted migrations with their permits, each VM's history, drained hosts, evacuations and placement.
/// <see cref="Apply"/> alone changes it, for recovery and commands alike (as the ownership ledger does), so what the coordinator
/// decided and what a successor recovers cannot differ. Pure: recovery is testable without an actor or a database.
/// </summary>
internal sealed class FleetState
{
    private readonly int _finishedPerVm;
    private readonly Dictionary<string, FleetMigration> _active = [];
    private readonly List<string> _admissionOrder = [];
    private readonly Dictionary<string, List<FinishedMigration>> _finished = [];
    private readonly HashSet<string> _draining = [];
    private readonly Dictionary<string, EvacuationJob> _evacuations = [];
    private readonly Dictionary<string, string> _placement = [];

    public FleetState(FleetLimits limits, int finishedPerVm = 5)
    {
        _finishedPerVm = finishedPerVm;
        Permits = new PermitLedger(limits);
    }

    /// <summary>Permits held by running migrations and requested by queued ones, rebuilt by the same events.</summary>
    public PermitLedger Permits { get; }

    /// <summary>Queued and running migrations by VM.</summary>
    public IReadOnlyDictionary<string, FleetMigration> Active => _active;

    /// <summary>Queued and running migrations in admission order.</summary>
    public IEnumerable<FleetMigration> ActiveInOrder => _admissionOrder.Select(vm => _active[vm]);

    /// <summary>Each VM's finished migrations, newest first, at most the configured number.</summary>
    public IReadOnlyDictionary<string, List<FinishedMigration>> Finished => _finished;

    public IReadOnlySet<string> Draining => _draining;

    public IReadOnlyDictionary<string, EvacuationJob> Evacuations => _evacuations;

    /// <summary>Where each VM runs, as hosts last reported it.</summary>
    public IReadOnlyDictionary<string, string> Placement => _placement;

    /// <summary>Memory promised to queued migrations into a host, which its own count does not show yet.</summary>
    public long Reserved(string host) => _active.Values.Where(a => !a.Started && a.Destination == host).Sum(a => a.Size);

    public void Apply(IFleetEvent e)
    {
        switch (e)
        {
            case MigrationQueued q:
                var admitted = FleetMigration.From(q);
                Permits.Enqueue(admitted.Vm, admitted.Source, admitted.Destination, admitted.Kind, out _);
                _active[q.Vm] = admitted;
                _admissionOrder.Remove(q.Vm);
                _admissionOrder.Add(q.Vm);
                if (q.Evacuation is { } host && _evacuations.TryGetValue(host, out var job))
                {
                    job.Vms.Add(q.Vm);
                    job.RetryDue.Remove(q.Vm);
                }
                break;
            case PermitGranted g when Is(g.Vm, g.Id, out var granted):
                Permits.Take(g.Vm);
                _active[g.Vm] = granted with { StartedAt = g.At };
                break;
            case MigrationIntervened i when Is(i.Vm, i.Id, out var intervened):
                _active[i.Vm] = intervened with { Intervention = i.Reason, Redirected = intervened.Redirected || i.Redirected };
                break;
            case MigrationEnded ended when Is(ended.Vm, ended.Id, out var migration):
                _active.Remove(ended.Vm);
                _admissionOrder.Remove(ended.Vm);
                if (!Permits.Release(ended.Vm))
                    Permits.Withdraw(ended.Vm);
                Remember(new FinishedMigration(migration, ended.Outcome));
                if (ended.Outcome.Status == MigrationStatus.Completed.Name())
                    _placement[ended.Vm] = migration.Destination;
                break;
            case DrainingChanged d:
                if (d.Draining)
                    _draining.Add(d.Host);
                else
                    _draining.Remove(d.Host);
                break;
            case EvacuationBegan b:
                _evacuations[b.Host] = new EvacuationJob(b.Host);
                _draining.Add(b.Host);
                break;
            case RetryScheduled r when _evacuations.TryGetValue(r.Host, out var retried):
                retried.Vms.Add(r.Vm);
                retried.Attempts[r.Vm] = r.Attempt;
                retried.RetryDue[r.Vm] = r.Due;
                break;
            case RetryDropped dropped when _evacuations.TryGetValue(dropped.Host, out var droppedFrom):
                droppedFrom.RetryDue.Remove(dropped.Vm);
                break;
            case EvacuationEnded end:
                _evacuations.Remove(end.Host);
                break;
            case PlacementSeen p:
                if (p.Host is null)
                    _placement.Remove(p.Vm);
                else
                    _placement[p.Vm] = p.Host;
                break;
        }
    }

    private bool Is(string vm, string id, out FleetMigration migration) =>
        _active.TryGetValue(vm, out migration!) && migration.Id.Value == id;

    private void Remember(FinishedMigration finished)
    {
        var history = _finished.TryGetValue(finished.Migration.Vm, out var list) ? list : _finished[finished.Migration.Vm] = [];
        history.Insert(0, finished);
        if (history.Count > _finishedPerVm)
            history.RemoveRange(_finishedPerVm, history.Count - _finishedPerVm);
    }

    /// <summary>An evacuation is over when none of its moves is queued, running or due again, and nothing still lands on its host.</summary>
    public bool EvacuationDone(EvacuationJob job) =>
        !job.Vms.Any(_active.ContainsKey) && job.RetryDue.Count == 0 && !_active.Values.Any(a => a.Destination == job.Host);

    /// <summary>The record the migrations list and the CLI show for a finished migration.</summary>
    public static MigrationRecord RecordOf(FinishedMigration f) => new(
        f.Migration.Id, f.Migration.Vm, f.Migration.Source, f.Migration.Destination, f.Status,
        f.Outcome.Transferred, f.Outcome.Remaining, f.Outcome.Iteration, f.Outcome.Percent, f.Outcome.Reason,
        f.Migration.Kind, f.Migration.AdmittedAt);

    // ---- snapshots ---------------------------------------------------------------------------

    public FleetSnapshot ToSnapshot() => new(
        ActiveInOrder.Select(a => new ActiveEntry(a.ToEvent(), a.StartedAt, a.Intervention, a.Redirected)).ToArray(),
        _finished.Values.SelectMany(f => f).Select(f => new FinishedEntry(f.Migration.ToEvent(), f.Outcome)).ToArray(),
        _draining.Order().ToArray(),
        _evacuations.Values.Select(j => new EvacuationEntry(j.Host, j.Vms.Order().ToArray(),
            new Dictionary<string, int>(j.Attempts), new Dictionary<string, DateTimeOffset>(j.RetryDue))).ToArray(),
        new Dictionary<string, string>(_placement));

    /// <summary>The state a snapshot holds, rebuilt through the same events a journal would replay.</summary>
    public static FleetState From(FleetSnapshot snapshot, FleetLimits limits, int finishedPerVm = 5)
    {
        var state = new FleetState(limits, finishedPerVm);
        foreach (var f in snapshot.Finished.Reverse())
            state.Remember(new FinishedMigration(FleetMigration.From(f.Queued), f.Outcome));
        foreach (var host in snapshot.Draining)
            state._draining.Add(host);
        foreach (var e in snapshot.Evacuations)
        {
            var job = state._evacuations[e.Host] = new EvacuationJob(e.Host);
            job.Vms.UnionWith(e.Vms);
            foreach (var (vm, n) in e.Attempts)
                job.Attempts[vm] = n;
            foreach (var (vm, due) in e.RetryDue)
                job.RetryDue[vm] = due;
        }
        foreach (var (vm, host) in snapshot.Placement)
            state._placement[vm] = host;
        foreach (var a in snapshot.Active)
        {
            state.Apply(a.Queued);
            if (a.StartedAt is { } at)
                state.Apply(new PermitGranted(a.Queued.Vm, a.Queued.Id, at));
            if (a.Intervention is { } why)
                state.Apply(new MigrationIntervened(a.Queued.Vm, a.Queued.Id, why, a.Redirected));
        }
        return state;
    }
}

/// <summary>One host's evacuation: the VMs planned off it, and the attempts and retries of those that failed.</summary>
internal sealed class EvacuationJob(string host)
{
    public string Host { get; } = host;

    public HashSet<string> Vms { get; } = [];

    /// <summary>Failed attempts per VM; the retry backoff doubles with each.</summary>
    public Dictionary<string, int> Attempts { get; } = [];

    /// <summary>VMs to plan again, and when.</summary>
    public Dictionary<string, DateTimeOffset> RetryDue { get; } = [];
}
