using System.Diagnostics;
using Akka.Actor;
using Orchestrator.Actors.Fleet;
using Orchestrator.Actors.Host;
using Orchestrator.Actors.Migration;
using Orchestrator.Drills.Report;
using Orchestrator.Drills.Scenario;

namespace Orchestrator.Drills.InProcess;

/// <summary>
/// Runs a drill in this process: starts the cluster, creates the VMs, plays the steps in order while
/// the observer checks the invariants, then judges the expectations. Every wait is bounded.
/// </summary>
public sealed class Drill
{
    private readonly Scenario.Scenario _scenario;
    private readonly DrillOptions _options;
    private readonly Action<string> _progress;
    private readonly Stopwatch _clock = new();
    private readonly Dictionary<string, MigrationId> _admitted = [];
    private readonly List<string> _errors = [];

    private Drill(Scenario.Scenario scenario, DrillOptions options, Action<string> progress)
    {
        _scenario = scenario;
        _options = options;
        _progress = progress;
    }

    /// <summary>Runs the scenario to its end and reports; throws <see cref="DrillNotSupportedException"/> before starting anything it cannot do.</summary>
    /// <param name="progress">Each step as it starts and ends, for a person watching.</param>
    public static Task<DrillReport> Run(Scenario.Scenario scenario, DrillOptions? options = null, Action<string>? progress = null, CancellationToken cancel = default)
    {
        CheckSupported(scenario);
        return new Drill(scenario, options ?? new DrillOptions(), progress ?? (_ => { })).Run(cancel);
    }

    /// <summary>Faults this in-process engine cannot produce honestly.</summary>
    public static void CheckSupported(Scenario.Scenario scenario)
    {
        var slow = scenario.Steps.Select((s, i) => (Step: s, Index: i)).FirstOrDefault(x => x.Step is SlowLinkStep);
        if (slow.Step is not null)
            throw new DrillNotSupportedException(
                $"steps[{slow.Index}]: '{slow.Step}' needs delay, rate or loss on a real link (network namespaces, --netns), " +
                "which this engine does not support yet; remove the step to run the drill in-process");
    }

    private async Task<DrillReport> Run(CancellationToken cancel)
    {
        var startedAt = DateTimeOffset.UtcNow;
        _clock.Start();
        InProcessCluster cluster;
        try
        {
            cluster = await InProcessCluster.Start(_scenario.Hosts, _options, cancel);
        }
        catch (TimeoutException e)
        {
            return Failed(startedAt, $"the in-process cluster did not start: {e.Message}");
        }
        await using var _ = cluster;
        _progress($"[{_clock.ElapsedMilliseconds,6} ms] cluster of {cluster.Nodes.Count} hosts up: {string.Join(", ", cluster.Nodes.Select(n => n.Name))}");
        var observer = new DrillObserver(cluster, _options, _clock, _scenario.Vms);
        foreach (var vm in _scenario.Vms)
        {
            var created = await TryAsk(cluster[vm.Host].Host, new HostProtocol.CreateVm(vm.ToSpec()));
            if (created is not CommandResult { Succeeded: true })
                return Failed(startedAt, $"VM {vm.Name} could not be created on {vm.Host}: {(created as CommandResult)?.Error ?? "no answer"}");
        }
        await observer.Check();

        var steps = new List<StepRecord>();
        using var stopMonitor = new CancellationTokenSource();
        var monitor = Monitor(observer, stopMonitor.Token);
        try
        {
            var triggers = new Dictionary<int, DrillObserver.PhaseTrigger>();
            for (var i = 0; i < _scenario.Steps.Count; i++)
            {
                cancel.ThrowIfCancellationRequested();
                // A kill at a phase is armed before the step ahead of it runs, so that step's migration cannot slip past the phase.
                foreach (var j in new[] { i, i + 1 })
                {
                    if (j < _scenario.Steps.Count && _scenario.Steps[j] is KillStep { At: not null } kill && !triggers.ContainsKey(j))
                        triggers[j] = observer.Arm(kill);
                }
                var step = _scenario.Steps[i];
                var (checks, violations) = (observer.Checks, observer.ViolationCount);
                var at = _clock.ElapsedMilliseconds;
                _progress($"[{at,6} ms] {i + 1}. {step}");
                string? note = null, error = null;
                try
                {
                    note = await Play(step, cluster, observer, triggers.GetValueOrDefault(i), cancel);
                }
                catch (StepFailedException e)
                {
                    error = e.Message;
                    _errors.Add($"step {i + 1} ({step}): {e.Message}");
                }
                await observer.Check();
                var ended = _clock.ElapsedMilliseconds;
                steps.Add(new StepRecord(i + 1, step.ToString()!, at, ended, observer.Checks - checks, observer.ViolationCount - violations, note, error));
                if (error is not null)
                    _progress($"[{ended,6} ms]    error: {error}");
                else if (note is not null)
                    _progress($"[{ended,6} ms]    {note}");
            }
        }
        finally
        {
            await stopMonitor.CancelAsync();
            await monitor;
        }
        await observer.Check();
        var outcome = observer.Outcome();
        var verdicts = Verdicts.Judge(_scenario.Expectations, outcome.Invariants, outcome.Migrations, outcome.Hosts, outcome.Locations);
        return new DrillReport(
            _scenario.Name,
            _errors.Count == 0 && verdicts.All(v => v.Passed),
            startedAt,
            _clock.ElapsedMilliseconds,
            steps,
            outcome.Migrations,
            outcome.Hosts,
            outcome.Invariants,
            verdicts,
            _errors.ToArray());
    }

    private DrillReport Failed(DateTimeOffset startedAt, string error) =>
        new(_scenario.Name, false, startedAt, _clock.ElapsedMilliseconds, [], [], [], new InvariantSummary(0, [], [], [], 0, []), [], [error]);

    private async Task Monitor(DrillObserver observer, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            await observer.Check();
            try
            {
                await Task.Delay(_options.PollInterval, stop);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>Plays one step; returns what it got back, or throws <see cref="StepFailedException"/> saying why it could not.</summary>
    private async Task<string?> Play(Step step, InProcessCluster cluster, DrillObserver observer, DrillObserver.PhaseTrigger? trigger, CancellationToken cancel)
    {
        switch (step)
        {
            case MigrateStep migrate:
            {
                var reply = await TryAsk(cluster.Fleet, new FleetProtocol.RequestMigration(migrate.Vm, migrate.To, null, migrate.Parameters.ToArray()), _options.FleetAskTimeout);
                if (reply is FleetProtocol.MigrationAdmitted admitted)
                {
                    _admitted[migrate.Vm] = admitted.Id;
                    return $"admitted as {admitted.Id} ({admitted.Status.Name()}), from {admitted.Source}";
                }
                throw new StepFailedException(Refusal(reply, "the fleet coordinator", _options.FleetAskTimeout));
            }
            case EvacuateStep evacuate:
            {
                var reply = await TryAsk(cluster.Fleet, new FleetProtocol.Evacuate(evacuate.Host), _options.FleetAskTimeout);
                if (reply is FleetProtocol.EvacuationStarted started)
                {
                    foreach (var move in started.Moves)
                        _admitted.Remove(move.Vm);
                    var moves = string.Join(", ", started.Moves.Select(m => $"{m.Vm} to {m.To}"));
                    var stays = string.Join(", ", started.Unplaceable.Select(u => $"{u.Vm} ({u.Reason})"));
                    return $"{started.Moves.Count} move(s){(moves.Length > 0 ? ": " + moves : "")}{(stays.Length > 0 ? "; staying: " + stays : "")}";
                }
                throw new StepFailedException(Refusal(reply, "the fleet coordinator", _options.FleetAskTimeout));
            }
            case KillStep { At: null } kill:
            {
                var victim = cluster[kill.Host];
                if (!victim.Alive)
                    throw new StepFailedException($"{kill.Host} is already {victim.Fate.ToString().ToLowerInvariant()}");
                cluster.Kill(victim);
                return $"{kill.Host} killed";
            }
            case KillStep kill:
            {
                var within = kill.Within ?? Step.DefaultWithin;
                var deadline = _clock.Elapsed + within;
                while (!trigger!.Fired.Task.IsCompleted)
                {
                    if (observer.Missed(trigger) is { } missed)
                        throw new StepFailedException($"{kill.Host} was not killed: {missed}");
                    if (_clock.Elapsed > deadline)
                        throw new StepFailedException($"{kill.Host} was not killed: {kill.Of}'s migration did not reach {kill.At!.Value.Name()} within {within.TotalSeconds:0} s");
                    await Task.WhenAny(trigger.Fired.Task, Task.Delay(_options.PollInterval, cancel));
                }
                return $"{kill.Host} killed at {await trigger.Fired.Task} ms, when {kill.Of}'s migration reached {kill.At!.Value.Name()}";
            }
            case CorruptStep corrupt:
                foreach (var node in cluster.Nodes.Where(n => n.Alive))
                    await TryAsk(node.Host, new HostLocal.CorruptNextIncoming(corrupt.Vm));
                return null;
            case PartitionStep partition:
                await Link(cluster[partition.A], cluster[partition.B], () => cluster.Partition(cluster[partition.A], cluster[partition.B]), "cut");
                return null;
            case HealStep heal:
                await Link(cluster[heal.A], cluster[heal.B], () => cluster.Heal(cluster[heal.A], cluster[heal.B]), "healed");
                return null;
            case WaitStep wait:
                await Task.Delay(wait.Duration, cancel);
                return null;
            case WaitForMigrationStep waitFor:
            {
                var id = _admitted.TryGetValue(waitFor.Vm, out var known) ? known : (MigrationId?)null;
                var status = await Until(() => observer.Ended(waitFor.Vm, id), waitFor.Within,
                    $"the migration of {waitFor.Vm} did not end", cancel);
                return $"ended {status}";
            }
            case WaitForEmptyStep waitEmpty:
                await Until(() => observer.Empty(waitEmpty.Host) ? "empty" : null, waitEmpty.Within,
                    $"{waitEmpty.Host} still holds VMs", cancel);
                return $"{waitEmpty.Host} holds no VM";
            default:
                throw new StepFailedException($"this engine cannot play '{step}'");
        }
    }

    private async Task<T> Until<T>(Func<T?> done, TimeSpan? within, string failure, CancellationToken cancel) where T : class
    {
        var bound = within ?? Step.DefaultWithin;
        var deadline = _clock.Elapsed + bound;
        while (true)
        {
            if (done() is { } result)
                return result;
            if (_clock.Elapsed > deadline)
                throw new StepFailedException($"{failure} within {bound.TotalSeconds:0.#} s");
            await Task.Delay(_options.PollInterval, cancel);
        }
    }

    private static async Task Link(DrillNode a, DrillNode b, Func<Task> change, string what)
    {
        if (a.Fate != NodeFate.Alive || b.Fate != NodeFate.Alive)
            throw new StepFailedException($"the link was not {what}: {(a.Alive ? b : a).Name} is {(a.Alive ? b : a).Fate.ToString().ToLowerInvariant()}");
        try
        {
            await change();
        }
        catch (TimeoutException)
        {
            throw new StepFailedException($"the link was not {what}: the throttler did not answer");
        }
        catch (Akka.Remote.RemoteTransportException e)
        {
            // The node's remoting stopped under us: the cluster downed it, or it is shutting down.
            throw new StepFailedException($"the link was not {what}: {e.Message}");
        }
    }

    private async Task<object?> TryAsk(IActorRef target, object message, TimeSpan? timeout = null)
    {
        try
        {
            return await target.Ask<object>(message, timeout ?? _options.AskTimeout);
        }
        catch (AskTimeoutException)
        {
            return null;
        }
    }

    private static string Refusal(object? reply, string who, TimeSpan waited) => reply switch
    {
        CommandResult { Error: { } error } => error,
        null => $"{who} did not answer within {waited.TotalSeconds:0} s",
        _ => $"{who} answered {reply.GetType().Name}",
    };

    private sealed class StepFailedException(string message) : Exception(message);
}
