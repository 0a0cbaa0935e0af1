using System.Diagnostics;
using Orchestrator.Actors.Fleet;
using Orchestrator.Drills.Report;

namespace Orchestrator.Drills.Running;

/// <summary>Runs a drill on any engine: starts the cluster, creates the VMs, plays the steps under invariant checks, judges. Every wait is bounded.</summary>
public static class Drill
{
    /// <summary>
    /// Runs the scenario to its end on the cluster <paramref name="start"/> gives (throws <see cref="TimeoutException"/> if it does not come up;
    /// disposed at the end) and reports. Throws <see cref="DrillNotSupportedException"/>, before starting, for a step <paramref name="faults"/> cannot produce.
    /// </summary>
    /// <param name="progress">Each step as it starts and ends, for a person watching.</param>
    public static Task<DrillReport> Run(Scenarios.Scenario scenario, LinkFaults faults, Func<CancellationToken, Task<IDrillCluster>> start, string engine,
        DrillOptions? options = null, Action<string>? progress = null, CancellationToken cancel = default)
    {
        CheckSupported(scenario, faults);
        return new DrillRun(scenario, options ?? new DrillOptions(), progress ?? (_ => { }), start, engine).Run(cancel);
    }

    /// <summary>Throws <see cref="DrillNotSupportedException"/> naming every step the engine cannot produce honestly, and why.</summary>
    public static void CheckSupported(Scenarios.Scenario scenario, LinkFaults faults)
    {
        if (faults.Problems(scenario) is { Count: > 0 } problems)
            throw new DrillNotSupportedException(string.Join(Environment.NewLine, problems));
    }
}

internal sealed class DrillRun(Scenarios.Scenario scenario, DrillOptions options, Action<string> progress, Func<CancellationToken, Task<IDrillCluster>> start, string engine)
{
    private readonly Stopwatch _clock = new();
    private readonly Dictionary<string, MigrationId> _admitted = [];
    private readonly List<string> _errors = [];

    public async Task<DrillReport> Run(CancellationToken cancel)
    {
        var startedAt = DateTimeOffset.UtcNow;
        _clock.Start();
        IDrillCluster cluster;
        try
        {
            cluster = await start(cancel);
        }
        catch (TimeoutException e)
        {
            return Failed(startedAt, $"the {engine} cluster did not start: {e.Message}");
        }
        await using var _ = cluster;
        progress($"[{_clock.ElapsedMilliseconds,6} ms] {engine} cluster of {cluster.Hosts.Count} hosts up: {string.Join(", ", cluster.Hosts)}");
        var observer = new DrillObserver(cluster, _clock, scenario.Vms);
        foreach (var vm in scenario.Vms)
        {
            if (await cluster.CreateVm(vm) is { } refused)
                return Failed(startedAt, $"VM {vm.Name} could not be created on {vm.Host}: {refused}");
        }
        await observer.Check();

        var steps = new List<StepRecord>();
        using var stopMonitor = new CancellationTokenSource();
        var monitor = Monitor(observer, stopMonitor.Token);
        try
        {
            var triggers = new Dictionary<int, DrillObserver.PhaseTrigger>();
            for (var i = 0; i < scenario.Steps.Count; i++)
            {
                cancel.ThrowIfCancellationRequested();
                // A kill at a phase is armed before the step ahead of it runs, so that step's migration cannot slip past the phase.
                foreach (var j in new[] { i, i + 1 })
                {
                    if (j < scenario.Steps.Count && scenario.Steps[j] is KillStep { At: not null } kill && !triggers.ContainsKey(j))
                    {
                        triggers[j] = observer.Arm(kill);
                        if (!cluster.SeesPhases)
                            await ArmAcross(cluster, observer, kill, triggers[j]);
                    }
                }
                var step = scenario.Steps[i];
                var (checks, violations) = (observer.Checks, observer.ViolationCount);
                var at = _clock.ElapsedMilliseconds;
                progress($"[{at,6} ms] {i + 1}. {step}");
                string? note = null, error = null;
                try
                {
                    note = await Play(step, cluster, observer, triggers.GetValueOrDefault(i), cancel);
                }
                catch (DrillStepException e)
                {
                    error = e.Message;
                    _errors.Add($"step {i + 1} ({step}): {e.Message}");
                }
                await observer.Check();
                var ended = _clock.ElapsedMilliseconds;
                steps.Add(new StepRecord(i + 1, step.ToString()!, at, ended, observer.Checks - checks, observer.ViolationCount - violations, note, error));
                if (error is not null)
                    progress($"[{ended,6} ms]    error: {error}");
                else if (note is not null)
                    progress($"[{ended,6} ms]    {note}");
            }
        }
        finally
        {
            await stopMonitor.CancelAsync();
            await monitor;
        }
        await observer.Check();
        var outcome = observer.Outcome();
        var verdicts = Verdicts.Judge(scenario.Expectations, outcome.Invariants, outcome.Migrations, outcome.Hosts, outcome.Locations);
        return new DrillReport(
            scenario.Name,
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

    /// <summary>The VM's migration that started since <paramref name="since"/>, asked of every living host; null when none did.</summary>
    private static async Task<(string Host, MigrationInfo Info)?> Started(IDrillCluster cluster, string vm, DateTimeOffset since)
    {
        foreach (var host in cluster.Living())
        {
            if (await cluster.QueryMigrate(host, vm) is MigrationInfo info && info.StartedAt >= since)
                return (host, info);
        }
        return null;
    }

    private DrillReport Failed(DateTimeOffset startedAt, string error) =>
        new(scenario.Name, false, startedAt, _clock.ElapsedMilliseconds, [], [], [], new InvariantSummary(0, [], [], [], 0, []), [], [error]);

    private async Task Monitor(DrillObserver observer, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            await observer.Check();
            await Task.Delay(options.PollInterval, stop).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    /// <summary>Plays one step; returns what it got back, or throws <see cref="DrillStepException"/> saying why it could not.</summary>
    private async Task<string?> Play(Step step, IDrillCluster cluster, DrillObserver observer, DrillObserver.PhaseTrigger? trigger, CancellationToken cancel)
    {
        switch (step)
        {
            case MigrateStep migrate:
                {
                    // As an operator does with --host: the destination takes what the source will send, or the migration fails at setup.
                    var incoming = "";
                    if (migrate.Capabilities is { Count: > 0 } || migrate.IncomingParameters.Count > 0)
                    {
                        if (cluster.Fate(migrate.To) is var destination and not NodeFate.Alive)
                            throw new DrillStepException($"{migrate.To}'s incoming side was not set: it is {destination.ToString().ToLowerInvariant()}");
                        incoming = $"{migrate.To} takes migrations in with {await cluster.SetIncoming(migrate.To, migrate.Capabilities ?? [], migrate.IncomingParameters)}; ";
                    }
                    var since = DateTimeOffset.UtcNow;
                    var asked = cluster.Migrate(migrate);
                    var alive = cluster.Living().ToArray();
                    // A kill at this migration's first phase may take the fleet's host and its answer while the migration starts: find it where it runs.
                    while (!asked.IsCompleted && alive.All(h => cluster.Fate(h) == NodeFate.Alive))
                        await Task.WhenAny(asked, Task.Delay(options.PollInterval, cancel));
                    if (!asked.IsCompleted && await Started(cluster, migrate.Vm, since) is { } found)
                    {
                        _ = asked.ContinueWith(t => t.Exception, TaskContinuationOptions.OnlyOnFaulted); // its "no answer" is expected now
                        _admitted[migrate.Vm] = found.Info.Id;
                        return $"{incoming}started as {found.Info.Id} ({found.Info.Status.Name()}), from {found.Host}; the fleet coordinator's answer was lost " +
                               $"with {string.Join(", ", alive.Where(h => cluster.Fate(h) != NodeFate.Alive))}";
                    }
                    var admitted = await asked;
                    _admitted[migrate.Vm] = admitted.Id;
                    return $"{incoming}admitted as {admitted.Id} ({admitted.Status}), from {admitted.Source}";
                }
            case EvacuateStep evacuate:
                {
                    var started = await cluster.Evacuate(evacuate.Host);
                    foreach (var move in started.Moves)
                        _admitted.Remove(move.Vm);
                    var moves = string.Join(", ", started.Moves.Select(m => $"{m.Vm} to {m.To}"));
                    var stays = string.Join(", ", started.Staying.Select(u => $"{u.Vm} ({u.Reason})"));
                    return $"{started.Moves.Count} move(s){(moves.Length > 0 ? ": " + moves : "")}{(stays.Length > 0 ? "; staying: " + stays : "")}";
                }
            case KillStep { At: null } kill:
                if (cluster.Fate(kill.Host) is var fate and not NodeFate.Alive)
                    throw new DrillStepException($"{kill.Host} is already {fate.ToString().ToLowerInvariant()}");
                await cluster.Kill(kill.Host);
                return $"{kill.Host} killed";
            case KillStep kill:
                {
                    var within = kill.Within ?? Step.DefaultWithin;
                    var deadline = _clock.Elapsed + within;
                    TimeSpan? endedAt = null;
                    while (!trigger!.Fired.Task.IsCompleted)
                    {
                        if (!cluster.SeesPhases && cluster.KilledAtPhase(kill))
                        {
                            trigger.Fired.TrySetResult(_clock.ElapsedMilliseconds);
                            break;
                        }
                        if (observer.Missed(trigger) is { } missed)
                        {
                            // Without phases, "ended" may be the kill's own doing: give the victim's death a moment to be seen.
                            endedAt ??= _clock.Elapsed;
                            if (cluster.SeesPhases || _clock.Elapsed - endedAt > TimeSpan.FromSeconds(2))
                                throw new DrillStepException($"{kill.Host} was not killed: {missed}");
                        }
                        if (_clock.Elapsed > deadline)
                            throw new DrillStepException($"{kill.Host} was not killed: {kill.Of}'s migration did not reach {kill.At!.Value.Name()} within {within.TotalSeconds:0} s");
                        await Task.WhenAny(trigger.Fired.Task, Task.Delay(options.PollInterval, cancel));
                    }
                    var when = cluster.SeesPhases ? $"when {kill.Of}'s migration reached {kill.At!.Value.Name()}" : $"seen dead after {kill.Of}'s migration reached {kill.At!.Value.Name()} on its source";
                    return $"{kill.Host} killed at {await trigger.Fired.Task} ms, {when}";
                }
            case CorruptStep corrupt:
                await cluster.Corrupt(corrupt.Vm);
                return null;
            case LinkStep link:
                if (link is PartitionStep or HealStep && new[] { link.A, link.B }.FirstOrDefault(h => cluster.Fate(h) != NodeFate.Alive) is { } down)
                    throw new DrillStepException($"the link was not {(link is PartitionStep ? "cut" : "healed")}: {down} is {cluster.Fate(down).ToString().ToLowerInvariant()}");
                await cluster.Link(link);
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
                throw new DrillStepException($"this engine cannot play '{step}'");
        }
    }

    /// <summary>Without phases, the kill is armed on the VM's next source, the host it is on now; a failure to arm is the kill step's error.</summary>
    private async Task ArmAcross(IDrillCluster cluster, DrillObserver observer, KillStep kill, DrillObserver.PhaseTrigger trigger)
    {
        var source = observer.Holder(kill.Of!);
        try
        {
            if (source is null)
                throw new DrillStepException($"{kill.Of} is on no living host: nowhere to arm the kill");
            await cluster.ArmKillAt(kill, source);
        }
        catch (DrillStepException e)
        {
            trigger.Fired.TrySetException(e);
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
                throw new DrillStepException($"{failure} within {bound.TotalSeconds:0.#} s");
            await Task.Delay(options.PollInterval, cancel);
        }
    }
}
