using Akka.Remote;
using static Orchestrator.Actors.Migration.MigrationProtocol;

namespace Orchestrator.Actors.Migration;

/// <summary>How a source migration ends: completed, rolled back (the source VM resumes), handed over, or left paused.</summary>
internal sealed partial class SourceMigration
{
    private void Ended()
    {
        Receive<Cancel>(_ => { }); // cancel after completed or failed changes nothing
        // A destination that answers after we gave up must not keep a half-loaded twin.
        Receive<IncomingProtocol.Prepared>(late => late.Incoming.Tell(new IncomingProtocol.Abort(_id, "the source gave up before the destination was ready")));
        Receive<Continue>(_ => Sender.Tell(CommandResult.Fail(QemuErrors.NotInExpectedState(_view.Status.Name()))));
        Receive<Query>(_ => Sender.Tell(Info()));
        ReceiveAny(_ => { });
    }

    // ---- how a phase hears of an end ------------------------------------------------------------

    /// <summary>QEMU's migrate_cancel, while the source may still resume.</summary>
    private void Cancellable(IActorRef? incoming) => Receive<Cancel>(cancel =>
    {
        _view.ErrorDesc = cancel.Reason;
        RollBack("cancelled by the source", incoming);
        End(MigrationStatus.Cancelled);
    });

    /// <summary>
    /// How a phase hears that the destination failed: its reason, a failed stream, a lost connection, or its actors stopping. Remote DeathWatch
    /// is not ordered with user messages, so the destination's Failed (with its reason) or Running may follow a Terminated: it gets a bounded moment.
    /// </summary>
    private void DestinationFailures(IActorRef incoming, Action<string> failed)
    {
        Receive<IncomingProtocol.Failed>(f => f.Migration == _id, f => failed($"destination: {f.Reason}"));
        Receive<PrecopyLocal.StreamFailed>(f => failed(f.Reason));
        Receive<Multifd.MultifdLocal.Broken>(b =>
        {
            if (!b.ByPeer)
                failed(b.Reason);
            else if (!Timers.IsTimerActive(PeerStopped.Key))
                Timers.StartSingleTimer(PeerStopped.Key, new PeerStopped(b.Reason), PeerStoppedGrace); // the destination's Failed says why
        });
        Receive<DisassociatedEvent>(e => e.RemoteAddress.Equals(_destination), _ => failed($"lost the connection to the destination {_destination}"));
        Receive<Terminated>(t =>
        {
            if (Timers.IsTimerActive(PeerStopped.Key))
                return;
            var reason = t.ActorRef.Equals(incoming)
                ? $"the destination migration actor {t.ActorRef.Path} stopped"
                : $"destination actor {t.ActorRef.Path.Name} stopped";
            Timers.StartSingleTimer(PeerStopped.Key, new PeerStopped(reason), PeerStoppedGrace);
        });
        Receive<PeerStopped>(p => failed(p.Reason));
    }

    // ---- endings -----------------------------------------------------------------------------------

    private void Complete(Stopped stop)
    {
        Timers.CancelAll();
        _view.Downtime = Now - stop.At;
        _view.DestinationVm = VmStates.Running;
        _vm.Stop(); // QEMU's postmigrate: this copy never runs again
        CleanupSource();
        End(MigrationStatus.Completed, handedOver: true);
        _log.Info("Migration {0} of {1} completed: downtime {2} ms, total {3} ms", _id, _vm.Name, _view.Downtime, Now);
    }

    /// <summary>Before the commit was asked for: the source VM resumes, the destination discards its twin.</summary>
    private void Fail(string reason, IActorRef? incoming = null)
    {
        _view.ErrorDesc = reason;
        RollBack(reason, incoming);
        End(MigrationStatus.Failed);
    }

    /// <summary>After a commit was sent, the destination did not confirm its start.</summary>
    private void HandedOver(Handover handover, string reason)
    {
        Timers.CancelAll();
        StopChildren();
        if (_fence.Ledger is not null)
        {
            // The ledger moved ownership: this copy is the old epoch and is discarded, whatever became of the destination.
            _view.ErrorDesc = $"{reason}; ownership moved to {_destination} at epoch {handover.Epoch} (recorded), so the source copy is stopped";
            _vm.Stop();
            End(MigrationStatus.Failed, handedOver: true);
            return;
        }
        // Without a ledger the destination may have started: resuming here could run two copies.
        _view.ErrorDesc = $"{reason}; the commit was sent, so the source VM stays paused until the destination's state is known";
        End(MigrationStatus.Failed, ownershipUnknown: true);
    }

    /// <summary>The ledger fenced this migration's epoch: its destination can never start, so the source resumes.</summary>
    private void FenceLost(Stopped stop, string reason)
    {
        _view.ErrorDesc = $"{reason}; the ownership ledger fenced epoch {_fence.Epoch + 1}, the source VM resumes";
        RollBack(_view.ErrorDesc, stop.Incoming);
        End(MigrationStatus.Failed);
    }

    /// <summary>Ownership cannot be decided now: pausing is safe, resuming might run two copies.</summary>
    private void StayPaused(string reason)
    {
        _view.ErrorDesc = $"{reason}; the source VM stays paused rather than risk two running copies (orchestrator vm resume asks the ledger again)";
        _log.Error("Migration {0} of {1}: {2}", _id, _vm.Name, _view.ErrorDesc);
        Timers.CancelAll();
        StopChildren();
        End(MigrationStatus.Failed, ownershipUnknown: true);
    }

    private void RollBack(string reason, IActorRef? incoming)
    {
        Timers.CancelAll();
        incoming?.Tell(new IncomingProtocol.Abort(_id, reason));
        _view.DestinationVm = VmStates.Absent;
        CleanupSource();
        if (_wasRunning && _vm.State == VmRunState.Paused)
            _vm.Resume();
        _log.Warning("Migration {0} of {1} rolled back: {2}; source VM {3}", _id, _vm.Name, reason,
            _vm.State == VmRunState.Running ? "running" : _vm.State.ToString().ToLowerInvariant());
    }

    private void CleanupSource()
    {
        StopChildren();
        _vm.ThrottlePercent = 0;
        foreach (var device in _vm.Devices)
            device.SaveCleanup();
    }

    /// <summary>Streams, the switchover coordinator and any question to the ledger.</summary>
    private void StopChildren()
    {
        foreach (var child in Context.GetChildren())
            Context.Stop(child);
    }

    private void End(MigrationStatus status, bool handedOver = false, bool ownershipUnknown = false)
    {
        _view.Ended(status, Now);
        _host.Tell(new MigrationProtocol.Ended(_id, _vm.Name, Info(), handedOver, ownershipUnknown));
        Become(Ended);
    }
}
