using Orchestrator.Actors.Migration;
using static Orchestrator.Actors.Fleet.FleetProtocol;
using static Orchestrator.Actors.Fleet.Journal.FleetJournal;

namespace Orchestrator.Actors.Fleet.Journal;

/// <summary>The fleet's durable state: the fold of its journal. Pure, so recovery is testable without a database.</summary>
public sealed class FleetState(int finishedPerVm = 5)
{
    private sealed class Job
    {
        public HashSet<string> Vms { get; } = [];
        public Dictionary<string, int> Attempts { get; } = [];
        public Dictionary<string, DateTimeOffset> RetryDue { get; } = [];
    }

    private readonly Dictionary<string, ActiveMigration> _active = [];
    private readonly List<string> _admissionOrder = [];
    private readonly Dictionary<string, List<FinishedMigration>> _finished = [];
    private readonly HashSet<string> _draining = [];
    private readonly Dictionary<string, Job> _evacuations = [];
    private readonly Dictionary<string, string> _placement = [];

    public IReadOnlyDictionary<string, ActiveMigration> Active => _active;

    public IReadOnlyDictionary<string, string> Placement => _placement;

    public void Apply(IFleetEvent e)
    {
        switch (e)
        {
            case MigrationQueued q:
                _active[q.Record.Vm] = new ActiveMigration(q.Record, q.Size, q.Capabilities, q.Parameters, q.OnTimeout, null);
                _admissionOrder.Remove(q.Record.Vm);
                _admissionOrder.Add(q.Record.Vm);
                if (q.Evacuation is { } host && _evacuations.TryGetValue(host, out var job))
                {
                    job.Vms.Add(q.Record.Vm);
                    job.RetryDue.Remove(q.Record.Vm);
                }
                break;
            case PermitGranted s when _active.TryGetValue(s.Vm, out var a) && a.Record.Id == s.Id:
                _active[s.Vm] = a with { StartedAt = s.At, Record = a.Record with { Status = MigrationStatus.Setup } };
                break;
            case MigrationEnded ended:
                if (_active.TryGetValue(ended.Record.Vm, out var current) && current.Record.Id == ended.Record.Id)
                {
                    _active.Remove(ended.Record.Vm);
                    _admissionOrder.Remove(ended.Record.Vm);
                }
                var history = _finished.TryGetValue(ended.Record.Vm, out var list) ? list : _finished[ended.Record.Vm] = [];
                history.Insert(0, new FinishedMigration(ended.Record, ended.Final));
                if (history.Count > finishedPerVm)
                    history.RemoveRange(finishedPerVm, history.Count - finishedPerVm);
                if (ended.Record.Status == MigrationStatus.Completed)
                    _placement[ended.Record.Vm] = ended.Record.Destination;
                break;
            case DrainingChanged d:
                if (d.Draining)
                    _draining.Add(d.Host);
                else
                    _draining.Remove(d.Host);
                break;
            case EvacuationBegan b:
                _evacuations[b.Host] = new Job();
                _draining.Add(b.Host);
                break;
            case RetryScheduled r when _evacuations.TryGetValue(r.Host, out var retried):
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

    public FleetSnapshot ToSnapshot() => new(
        _admissionOrder.Select(vm => _active[vm]).ToArray(),
        _finished.Values.SelectMany(f => f).ToArray(),
        _draining.Order().ToArray(),
        _evacuations.Select(kv => new EvacuationJob(kv.Key, kv.Value.Vms.Order().ToArray(),
            new Dictionary<string, int>(kv.Value.Attempts), new Dictionary<string, DateTimeOffset>(kv.Value.RetryDue))).ToArray(),
        new Dictionary<string, string>(_placement));

    public void Load(FleetSnapshot snapshot)
    {
        _active.Clear();
        _admissionOrder.Clear();
        _finished.Clear();
        _draining.Clear();
        _evacuations.Clear();
        _placement.Clear();
        foreach (var a in snapshot.Active)
        {
            _active[a.Record.Vm] = a;
            _admissionOrder.Add(a.Record.Vm);
        }
        foreach (var f in snapshot.Finished)
            (_finished.TryGetValue(f.Record.Vm, out var list) ? list : _finished[f.Record.Vm] = []).Add(f);
        _draining.UnionWith(snapshot.Draining);
        foreach (var e in snapshot.Evacuations)
        {
            var job = new Job();
            job.Vms.UnionWith(e.Vms);
            foreach (var (vm, n) in e.Attempts)
                job.Attempts[vm] = n;
            foreach (var (vm, due) in e.RetryDue)
                job.RetryDue[vm] = due;
            _evacuations[e.Host] = job;
        }
        foreach (var (vm, host) in snapshot.Placement)
            _placement[vm] = host;
    }
}
