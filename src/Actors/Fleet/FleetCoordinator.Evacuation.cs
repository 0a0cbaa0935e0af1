using static Orchestrator.Actors.Fleet.FleetProtocol;
using static Orchestrator.Actors.Fleet.Journal.FleetEvents;

namespace Orchestrator.Actors.Fleet;

/// <summary>Evacuation, undrain and rebalance: the fleet's decisions about where VMs should be.</summary>
internal sealed partial class FleetCoordinator
{
    /// <summary>Spread of memory use the rebalance aims for: within 10% of capacity between fullest and emptiest host.</summary>
    public const double RebalanceBound = 0.10;

    private void StartEvacuation(Evacuate evacuate)
    {
        var hosts = UpHosts;
        if (!hosts.TryGetValue(evacuate.Host, out var address))
        {
            Reply(CommandResult.NotFound($"Host '{evacuate.Host}' not found"));
            return;
        }
        if (_state.Evacuations.ContainsKey(evacuate.Host))
        {
            Reply(CommandResult.Conflict($"Host {evacuate.Host} is already being evacuated"));
            return;
        }
        Emit(new EvacuationBegan(evacuate.Host));
        // Draining before the hosts are asked: no create lands there while the plan is made.
        TellHost(address, new HostProtocol.SetDraining(true));
        StopInbound(evacuate.Host, hosts);
        var replyTo = Sender;
        Decide(new Decision(views => PlanEvacuation(evacuate.Host, replyTo, views), Evacuating: evacuate.Host));
    }

    private void PlanEvacuation(string host, IActorRef replyTo, IReadOnlyList<HostView> views)
    {
        if (!_state.Evacuations.ContainsKey(host))
            return; // cancelled meanwhile (a cancel waits for this decision, so only a successor's state could say so)
        // A VM already migrating keeps its migration; everything else on the host is planned.
        var vms = views.Where(v => v.Host == host)
            .SelectMany(v => v.List.Vms)
            .Where(vm => !_state.Active.ContainsKey(vm.Name))
            .Select(vm => new VmLoad(vm.Name, host, vm.Devices.Sum(d => d.Size)))
            .ToArray();
        var plan = EvacuationPlanner.Plan(host, Loads(views), vms);
        foreach (var move in plan.Moves)
            Enqueue(move, MigrationPriority.Evacuation, evacuation: host);
        foreach (var stays in plan.Unplaceable)
            _log.Warning("Fleet: {0} stays on {1}: {2}", stays.Vm, host, stays.Reason);
        StartGranted();
        After(() => replyTo.Tell(new EvacuationStarted(host, plan.Moves, plan.Unplaceable)));
    }

    /// <summary>
    /// Nothing new lands on a draining host: a queued migration into it is withdrawn, a running one cancelled (the VM stays on its source),
    /// another host's evacuation move is planned again elsewhere. One cancelled too late (after its commit) joins this host's plan when it
    /// lands (<see cref="Finish"/>), and the evacuation does not end before it has.
    /// </summary>
    private void StopInbound(string host, Dictionary<string, Address> hosts)
    {
        foreach (var migration in _state.Active.Values.Where(a => a.Destination == host).ToArray())
        {
            var vm = migration.Vm;
            if (!migration.Started)
            {
                var withdrawn = $"host {host} is being evacuated: nothing new lands there; withdrawn before it started";
                Emit(new MigrationIntervened(vm, migration.Id.Value, withdrawn, Redirected: true));
                Finish(vm, MigrationStatus.Cancelled, withdrawn);
                continue;
            }
            var cancelled = $"host {host} is being evacuated: nothing new lands there; migration cancelled, the VM stays on {migration.Source}";
            Emit(new MigrationIntervened(vm, migration.Id.Value, cancelled, Redirected: true));
            _log.Warning("Fleet: {0} of {1}: {2}", migration.Id, vm, cancelled);
            if (hosts.TryGetValue(migration.Source, out var source))
                TellHost(source, new HostProtocol.MigrateCancel(vm, cancelled));
        }
    }

    private void StopEvacuation(CancelEvacuation cancel)
    {
        Reply(CommandResult.Ok);
        if (!_state.Evacuations.TryGetValue(cancel.Host, out var job))
            return; // nothing to stop
        var vms = job.Vms.ToArray();
        foreach (var vm in job.RetryDue.Keys)
            Timers.Cancel(new RetryTimer(vm));
        Emit(new EvacuationEnded(cancel.Host, Cancelled: true));
        var hosts = UpHosts;
        foreach (var vm in vms.Where(_state.Active.ContainsKey))
        {
            if (_state.Permits.IsQueued(vm))
                Finish(vm, MigrationStatus.Cancelled, "evacuation cancelled before this migration started");
            else if (cancel.AbortRunning && hosts.TryGetValue(cancel.Host, out var source))
                TellHost(source, new HostProtocol.MigrateCancel(vm, $"evacuation of {cancel.Host} cancelled with abort-running: migration aborted, the VM stays on {cancel.Host}"));
        }
        _log.Info("Fleet: evacuation of {0} cancelled{1}", cancel.Host, cancel.AbortRunning ? ", running migrations aborted" : "; running migrations finish");
    }

    private void RetryEvacuation(Retry retry)
    {
        if (_state.Evacuations.TryGetValue(retry.Host, out var job) && job.RetryDue.ContainsKey(retry.Vm) && !_state.Active.ContainsKey(retry.Vm))
            Decide(new Decision(views => PlanRetry(retry, views), Evacuating: retry.Host));
    }

    private void PlanRetry(Retry retry, IReadOnlyList<HostView> views)
    {
        if (!_state.Evacuations.TryGetValue(retry.Host, out var job) || !job.RetryDue.ContainsKey(retry.Vm) || _state.Active.ContainsKey(retry.Vm))
            return;
        var vm = views.Where(v => v.Host == retry.Host).SelectMany(v => v.List.Vms).FirstOrDefault(v => v.Name == retry.Vm);
        var plan = vm is null
            ? null
            : EvacuationPlanner.Plan(retry.Host, Loads(views), [new VmLoad(vm.Name, retry.Host, vm.Devices.Sum(d => d.Size))]);
        if (plan is null || plan.Moves.Count == 0)
        {
            // Gone from the host meanwhile, or no room anywhere now: nothing to move on this attempt.
            Emit(new RetryDropped(retry.Host, retry.Vm));
            foreach (var stays in plan?.Unplaceable ?? [])
                _log.Warning("Fleet: {0} stays on {1}: {2}", stays.Vm, retry.Host, stays.Reason);
            return;
        }
        foreach (var move in plan.Moves)
            Enqueue(move, MigrationPriority.Evacuation, evacuation: retry.Host);
        StartGranted();
    }

    private void StartRebalance(Rebalance rebalance)
    {
        if (rebalance.MaxMoves is < 1 or > 1000)
            Reply(CommandResult.Fail($"max-moves must be 1 to 1000, not {rebalance.MaxMoves}"));
        else
        {
            var replyTo = Sender;
            Decide(new Decision(views => PlanRebalance(rebalance.MaxMoves, replyTo, views)));
        }
    }

    private void PlanRebalance(int maxMoves, IActorRef replyTo, IReadOnlyList<HostView> views)
    {
        // VMs already migrating stay out of the plan; the load they bring is counted where they go.
        var vms = views.SelectMany(v => v.List.Vms.Where(vm => !_state.Active.ContainsKey(vm.Name))
            .Select(vm => new VmLoad(vm.Name, v.Host, vm.Devices.Sum(d => d.Size)))).ToArray();
        var plan = RebalancePlanner.Plan(Loads(views), vms, maxMoves, RebalanceBound);
        var admitted = plan.Moves.Where(move => Enqueue(move, MigrationPriority.User, evacuation: null)).ToArray();
        StartGranted();
        _log.Info("Fleet: rebalance of {0} move(s), spread {1:P0} -> {2:P0}", admitted.Length, plan.SpreadBefore, plan.SpreadAfter);
        After(() => replyTo.Tell(new RebalanceStarted(admitted, plan.SpreadBefore, plan.SpreadAfter, RebalanceBound)));
    }

    private void UndrainHost(Undrain undrain)
    {
        if (!UpHosts.TryGetValue(undrain.Host, out var address))
        {
            Reply(CommandResult.NotFound($"Host '{undrain.Host}' not found"));
            return;
        }
        if (_state.Evacuations.TryGetValue(undrain.Host, out var job))
        {
            // Undrained with moves still to come, the host would take new VMs and be emptied at once: one or the other.
            var moves = job.Vms.Where(_state.Active.ContainsKey).Select(vm => _state.Active[vm]).ToArray();
            Reply(CommandResult.Conflict(
                $"Host {undrain.Host} is being evacuated ({moves.Count(a => !a.Started)} move(s) queued, {moves.Count(a => a.Started)} running, " +
                $"{job.RetryDue.Count} to try again): cancel the evacuation first (orchestrator evacuate-cancel {undrain.Host}), then undrain it"));
            return;
        }
        Emit(new DrainingChanged(undrain.Host, Draining: false));
        var selection = HostAt(address);
        var replyTo = Sender;
        After(() => HostViews.Answer(selection, new HostProtocol.SetDraining(false)).PipeTo(replyTo,
            success: answer => answer as CommandResult ?? CommandResult.Conflict($"Host {undrain.Host} did not answer")));
    }
}
