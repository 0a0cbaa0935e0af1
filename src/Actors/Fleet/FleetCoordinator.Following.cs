using static Orchestrator.Actors.Fleet.FleetProtocol;
using static Orchestrator.Actors.Fleet.Journal.FleetEvents;

namespace Orchestrator.Actors.Fleet;

/// <summary>Following running migrations: the sources' news, KubeVirt's timeouts, and what an end sets off.</summary>
internal sealed partial class FleetCoordinator
{
    /// <summary>A source's report (pushed) or answer (asked): progress, or the end that frees the permit.</summary>
    private void OnNews(string vm, MigrationId id, object? news, Decision? deciding)
    {
        if (!_state.Active.TryGetValue(vm, out var migration) || migration.Id != id || !migration.Started)
            return;
        var progress = ProgressOf(vm, id, _clock.GetUtcNow());
        if (news is not MigrationInfo info || info.Id != id)
            return; // no answer: the next judgement asks again, and gives up after NoNewsLimit
        progress.Observe(info, _clock.GetUtcNow());
        if (!info.Status.IsTerminal())
            return;
        Finish(vm, info.Status, migration.Intervention is { } why && info.ErrorDesc != why
            ? $"{why}; {info.ErrorDesc ?? info.Status.Name()}"
            : info.ErrorDesc);
        StartGranted();
        EndFinishedEvacuations(deciding);
    }

    /// <summary>
    /// Each poll: a source that left the cluster fails its migrations; a silent one is asked (a report may be lost) and given up on
    /// after <see cref="NoNewsLimit"/>; timeouts are enforced, free permits granted, evacuations with nothing left ended.
    /// </summary>
    private void JudgeRunning(Decision? deciding)
    {
        var cluster = Akka.Cluster.Cluster.Get(Context.System);
        var members = HostViews.Members(cluster);
        var up = HostViews.Up(cluster);
        var now = _clock.GetUtcNow();
        var stale = ReportInterval * 3 > _settings.PollInterval ? ReportInterval * 3 : _settings.PollInterval;
        foreach (var migration in _state.Active.Values.Where(a => a.Started).ToArray())
        {
            var vm = migration.Vm;
            if (!members.TryGetValue(migration.Source, out var source))
            {
                Finish(vm, MigrationStatus.Failed, $"source host {migration.Source} left the cluster");
                continue;
            }
            var progress = ProgressOf(vm, migration.Id, now);
            if (now - progress.LastHeard > NoNewsLimit)
            {
                Finish(vm, MigrationStatus.Failed, $"source host {migration.Source} gave no news of the migration for {NoNewsLimit.TotalSeconds:0} s");
                continue;
            }
            if (now - progress.LastHeard > stale && now - progress.LastAsked > HostViews.AskTimeout && up.ContainsKey(migration.Source))
            {
                progress.LastAsked = now;
                var selection = HostAt(source);
                var self = Self;
                var id = migration.Id;
                HostViews.Answer(selection, new HostProtocol.QueryMigrate(vm)).PipeTo(self, success: answer => new Heard(vm, id, answer));
            }
            EnforceTimeouts(migration, progress, source, now);
        }
        StartGranted();
        EndFinishedEvacuations(deciding);
    }

    /// <summary>KubeVirt's completion and progress timeouts, once per migration: abort cancels (VM stays on its source), pause stops the guest.</summary>
    private void EnforceTimeouts(FleetMigration migration, MigrationProgress progress, Address source, DateTimeOffset now)
    {
        if (migration.Intervention is not null)
            return;
        var timeouts = _settings.Timeouts;
        var completion = migration.Timeout ?? timeouts.CompletionFor(migration.Size);
        string? expired = null;
        if (now - migration.StartedAt > completion)
            expired = migration.Timeout is null
                ? $"completion timeout ({completion.TotalSeconds:0} s for {migration.Size} bytes) expired"
                : $"completion timeout ({completion.TotalSeconds:0.#} s, migrate --timeout) expired";
        else if (now - progress.LastProgressAt > timeouts.Progress)
            expired = $"progress timeout ({timeouts.Progress.TotalSeconds:0} s without a drop in remaining bytes) expired";
        if (expired is null)
            return;
        var vm = migration.Vm;
        string why;
        if (migration.OnTimeout == TimeoutAction.Pause)
        {
            why = $"{expired}: guest paused so the migration converges";
            TellHost(source, new HostProtocol.PauseGuest(vm));
        }
        else
        {
            why = $"{expired}: migration aborted, the VM stays on {migration.Source}";
            TellHost(source, new HostProtocol.MigrateCancel(vm, why));
        }
        Emit(new MigrationIntervened(vm, migration.Id.Value, why, Redirected: false));
        _log.Warning("Fleet: {0} of {1}: {2}", migration.Id, vm, why);
    }

    /// <summary>The migration is terminal: its permit goes back and its outcome joins the VM's history.</summary>
    /// <remarks>An evacuation move that failed (or our own timeout aborted: the host must still be emptied) is retried, later each
    /// time, until the evacuation is cancelled; one a user cancelled is not.</remarks>
    private void Finish(string vm, MigrationStatus status, string? reason)
    {
        if (!_state.Active.TryGetValue(vm, out var migration))
            return;
        reason ??= migration.Intervention;
        var outcome = _progress.TryGetValue(vm, out var progress) && progress.Id == migration.Id
            ? progress.Outcome(migration, status, reason)
            : MigrationProgress.Unheard(migration, status, reason);
        Emit(new MigrationEnded(vm, migration.Id.Value, outcome));
        _progress.Remove(vm);
        _log.Info("Fleet: migration {0} of {1} ended {2}{3}", migration.Id, vm, status.Name(), reason is null ? "" : $": {reason}");
        var timedOut = status == MigrationStatus.Cancelled && migration.Intervention is not null && migration.OnTimeout == TimeoutAction.Abort;
        if (status == MigrationStatus.Cancelled && migration.Redirected && migration.Kind == MigrationPriority.Evacuation
            && _state.Evacuations.TryGetValue(migration.Source, out var redirected) && redirected.Vms.Contains(vm))
        {
            // Its destination began to drain: planned again now, among the hosts that still take VMs. Not an attempt.
            PlanAgain(redirected, vm, $"its destination {migration.Destination} began to drain");
        }
        else if (status == MigrationStatus.Completed && _state.Evacuations.TryGetValue(migration.Destination, out var landed))
        {
            // Landed on a host being evacuated (its cancel came too late, after the commit): it joins that host's plan.
            PlanAgain(landed, vm, $"it landed on {migration.Destination}, which is being evacuated");
        }
        else if ((status == MigrationStatus.Failed || timedOut) && migration.Kind == MigrationPriority.Evacuation
                 && _state.Evacuations.TryGetValue(migration.Source, out var job) && job.Vms.Contains(vm))
        {
            var attempt = job.Attempts.GetValueOrDefault(vm) + 1;
            var backoff = _settings.RetryBackoff * Math.Pow(2, Math.Min(attempt - 1, 10));
            Emit(new RetryScheduled(migration.Source, vm, attempt, _clock.GetUtcNow() + backoff));
            Timers.StartSingleTimer(new RetryTimer(vm), new Retry(migration.Source, vm), backoff);
            _log.Warning("Fleet: evacuation of {0} from {1} will be tried again in {2:0} s (attempt {3})", vm, migration.Source, backoff.TotalSeconds, attempt + 1);
        }
    }

    /// <summary>A VM of an evacuation to plan again at once (durably, as a retry due now).</summary>
    private void PlanAgain(EvacuationJob job, string vm, string why)
    {
        Emit(new RetryScheduled(job.Host, vm, job.Attempts.GetValueOrDefault(vm), _clock.GetUtcNow()));
        Timers.StartSingleTimer(new RetryTimer(vm), new Retry(job.Host, vm), TimeSpan.Zero);
        _log.Info("Fleet: {0} is planned again for the evacuation of {1}: {2}", vm, job.Host, why);
    }

    /// <summary>Evacuations with nothing queued, running, due again or landing: over (except one being planned now).</summary>
    private void EndFinishedEvacuations(Decision? deciding)
    {
        foreach (var job in _state.Evacuations.Values.Where(j => j.Host != deciding?.Evacuating && _state.EvacuationDone(j)).ToArray())
        {
            Emit(new EvacuationEnded(job.Host, Cancelled: false));
            _log.Info("Fleet: evacuation of {0} ended", job.Host);
        }
    }
}
