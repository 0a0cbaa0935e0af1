using System.Globalization;
using static Orchestrator.Actors.Fleet.FleetProtocol;
using static Orchestrator.Actors.Fleet.Journal.FleetEvents;

namespace Orchestrator.Actors.Fleet;

/// <summary>Admission: a user's migrate checked against the hosts' answers, queued for a permit, started when granted.</summary>
internal sealed partial class FleetCoordinator
{
    private void Admit(RequestMigration request)
    {
        // What needs no host's answer is refused at once.
        if (_state.Active.ContainsKey(request.Vm))
        {
            Reply(CommandResult.Conflict(QemuErrors.InProgress));
            return;
        }
        if (request.Capabilities?.Check() is { } capsError)
        {
            Reply(CommandResult.Fail(capsError));
            return;
        }
        try
        {
            (request.Parameters ?? []).Aggregate(new MigrationParameters(), (p, c) => p.With(c.Name, c.Value));
        }
        catch (MigrationArgumentException e)
        {
            Reply(CommandResult.Fail(e.Message));
            return;
        }
        // Only the VM's host (as last seen) and the destination are asked: a silent third host must not hold up two live ones.
        var replyTo = Sender;
        if (_state.Placement.TryGetValue(request.Vm, out var seenOn) && seenOn != request.To)
            Decide(new Decision(views => Admit(request, replyTo, everywhere: false, views)), new HashSet<string> { seenOn, request.To });
        else
            Decide(new Decision(views => Admit(request, replyTo, everywhere: true, views)));
    }

    /// <param name="everywhere">Every host was asked: the VM was not where the fleet last saw it, or the fleet never saw it.</param>
    private void Admit(RequestMigration request, IActorRef replyTo, bool everywhere, IReadOnlyList<HostView> views)
    {
        if (!everywhere && !views.Any(v => v.List.Vms.Any(vm => vm.Name == request.Vm)))
        {
            Decide(new Decision(all => Admit(request, replyTo, everywhere: true, all))); // moved since, or its host was silent: ask them all
            return;
        }
        var answer = Admitted(request, views);
        After(() => replyTo.Tell(answer));
    }

    private object Admitted(RequestMigration request, IReadOnlyList<HostView> views)
    {
        if (request.Timeout is { } timeout && timeout <= TimeSpan.Zero)
            return CommandResult.Fail($"Migration timeout must be positive, not {timeout.TotalSeconds} s");
        if (_state.Active.ContainsKey(request.Vm))
            return CommandResult.Conflict(QemuErrors.InProgress);
        var found = views.SelectMany(v => v.List.Vms.Select(vm => (v.Host, Vm: vm))).FirstOrDefault(x => x.Vm.Name == request.Vm);
        if (found.Vm is null)
            return CommandResult.NotFound($"VM '{request.Vm}' not found");
        if (!UpHosts.ContainsKey(request.To))
            return CommandResult.NotFound($"Host '{request.To}' not found");
        if (request.To == found.Host)
            return CommandResult.Conflict($"VM '{request.Vm}' already runs on host {request.To}: pick another destination host");
        var destination = views.FirstOrDefault(v => v.Host == request.To);
        if (destination is null)
            return CommandResult.Conflict($"Host {request.To} did not answer: it cannot take a VM now");
        if (_state.Draining.Contains(request.To) || destination.Status.Draining)
            return CommandResult.Conflict($"Host {request.To} is draining: nothing new lands there (undrain it to accept VMs again)");
        var size = found.Vm.Devices.Sum(d => d.Size);
        var free = destination.Status.Capacity - destination.Status.Used - _state.Reserved(request.To);
        if (size > free)
            return CommandResult.Conflict($"Not enough free capacity on host {request.To}: VM '{request.Vm}' needs {size} bytes, {Math.Max(0, free)} of {destination.Status.Capacity} are free");
        if (Enqueue(request.Vm, found.Host, request.To, size, MigrationPriority.User, request.Capabilities, request.Parameters,
                request.OnTimeout ?? _settings.Timeouts.Action, evacuation: null, request.Timeout) is { Refusal: { } refusal })
            return CommandResult.Conflict(refusal);
        StartGranted();
        var admitted = _state.Active[request.Vm];
        return new MigrationAdmitted(admitted.Id, admitted.Vm, admitted.Source, admitted.Destination,
            admitted.Started ? MigrationStatus.Setup : MigrationStatus.Queued);
    }

    /// <summary>A planned move, queued for a permit with the fleet's timeout action; false when the permit ledger refuses it.</summary>
    private bool Enqueue(Placement move, MigrationPriority kind, string? evacuation) =>
        Enqueue(move.Vm, move.From, move.To, move.Size, kind, null, null, _settings.Timeouts.Action, evacuation).Migration is not null;

    /// <summary>Queues a migration for a permit, or says why the permit ledger refuses it.</summary>
    private (FleetMigration? Migration, string? Refusal) Enqueue(string vm, string source, string destination, long size, MigrationPriority kind,
        MigrationCapabilities? capabilities, IReadOnlyList<(string Name, string Value)>? parameters, TimeoutAction onTimeout, string? evacuation,
        TimeSpan? timeout = null)
    {
        if (_state.Permits.Refusal(vm, source, destination) is { } refusal)
            return (null, refusal);
        var migration = new FleetMigration(MigrationId.New(), vm, source, destination, kind, size, _clock.GetUtcNow(),
            capabilities, parameters, onTimeout, evacuation, Timeout: timeout);
        Emit(migration.ToEvent());
        _log.Info("Fleet: {0} migration {1} of {2} from {3} to {4} admitted", kind, migration.Id, vm, source, destination);
        return (migration, null);
    }

    /// <summary>
    /// Grants every permit the limits allow now, durably before the source hears of it, so a successor follows this migration
    /// instead of starting another; a source that refuses or does not answer ends it failed, and its permit goes to the next.
    /// </summary>
    private void StartGranted()
    {
        var hosts = UpHosts;
        while (_state.Permits.Next() is { } permit)
        {
            var migration = _state.Active[permit.Vm];
            if (!hosts.TryGetValue(permit.Source, out var source) || !hosts.TryGetValue(permit.Destination, out var destination))
            {
                Finish(permit.Vm, MigrationStatus.Failed, $"host {(hosts.ContainsKey(permit.Source) ? permit.Destination : permit.Source)} is not up");
                continue;
            }
            var now = _clock.GetUtcNow();
            Emit(new PermitGranted(permit.Vm, migration.Id.Value, now));
            _progress[permit.Vm] = new MigrationProgress(migration.Id, now);
            var start = new HostProtocol.Migrate(permit.Vm, destination, migration.Capabilities, WithFleetBandwidth(migration.Parameters), migration.Id);
            var selection = HostAt(source);
            var self = Self;
            After(() => HostViews.Answer(selection, start).PipeTo(self, success: answer => new StartAnswered(start.Vm, migration.Id, answer)));
        }
    }

    private void OnStartAnswered(StartAnswered answered, Decision? deciding)
    {
        if (!_state.Active.TryGetValue(answered.Vm, out var migration) || migration.Id != answered.Id)
            return;
        if (answered.Answer is HostProtocol.MigrationStarted)
        {
            if (_progress.TryGetValue(answered.Vm, out var progress))
                progress.Heard(_clock.GetUtcNow());
            return;
        }
        Finish(answered.Vm, MigrationStatus.Failed, answered.Answer is CommandResult { Error: { } error } ? error : $"host {migration.Source} did not start the migration");
        StartGranted();
        EndFinishedEvacuations(deciding);
    }

    /// <summary>The fleet's bandwidth per migration, where the migration did not ask for its own.</summary>
    private IReadOnlyList<(string Name, string Value)>? WithFleetBandwidth(IReadOnlyList<(string Name, string Value)>? parameters) =>
        _settings.MaxBandwidth <= 0 || (parameters ?? []).Any(p => p.Name == "max-bandwidth")
            ? parameters
            : [.. parameters ?? [], ("max-bandwidth", _settings.MaxBandwidth.ToString(CultureInfo.InvariantCulture))];
}
