using System.Collections.Immutable;
using Akka.Remote;
using Orchestrator.Actors.Fencing;
using static Orchestrator.Actors.Migration.MigrationProtocol;

namespace Orchestrator.Actors.Migration;

/// <summary>The source migration from the stop on: pre-switchover, stop-copy, the commit, and resolving a commit whose fate is unknown.</summary>
internal sealed partial class SourceMigration
{
    // ---- pre-switchover and stop-copy ------------------------------------------------------------

    private void PreSwitchover(Stopped stop)
    {
        Receive<Continue>(_ =>
        {
            Timers.Cancel(PreSwitchoverTimedOut.Instance);
            Sender.Tell(CommandResult.Ok);
            EnterStopCopy(stop);
        });
        Receive<PreSwitchoverTimedOut>(_ => Fail($"pre-switchover: no migrate-continue within {_settings.PreSwitchoverTimeout.TotalSeconds:0} s", stop.Incoming));
        Cancellable(stop.Incoming);
        DestinationFailures(stop.Incoming, reason => Fail(reason, stop.Incoming));
        Always();
    }

    private void EnterStopCopy(Stopped stop)
    {
        _view.Status = MigrationStatus.Device;
        _limiter.BytesPerSecond = 0;
        _view.SourceDigests(_vm.Digests());
        _log.Info("Migration {0}: stop-copy, source digests taken {1} ms after the stop", _id, Now - stop.At);
        // Published before the destination hears of it, so a fault placed at stop-copy lands while it still cannot become ready.
        Reached(MigrationPhase.StopCopy);
        stop.Incoming.Tell(new IncomingProtocol.StopCopyStarted(_id));
        foreach (var streamer in _streamers.Values)
            streamer.Tell(PrecopyLocal.EnterStopCopy.Instance);
        Become(() => StopCopy(new Drain(stop, _streamers.Keys.ToImmutableHashSet(), DestinationReady: false)));
    }

    private void StopCopy(Drain drain)
    {
        Receive<PrecopyLocal.StreamDrained>(drained =>
        {
            _log.Info("Migration {0}: {1} drained {2} ms after the stop", _id, drained.Device, Now - drain.Stop.At);
            CommitIfReady(drain with { Draining = drain.Draining.Remove(drained.Device) });
        });
        Receive<IncomingProtocol.ReadyToStart>(ready => ready.Migration == _id, ready =>
        {
            _view.DestinationDigests(ready.DestinationDigests.Select(d => (d.Device, d.Digest)));
            _log.Info("Migration {0}: destination loaded every device {1} ms after the stop", _id, Now - drain.Stop.At);
            // The one comparison of the digests, here where the commit is decided.
            _view.Verified = _view.DigestsMatch();
            if (!_view.Verified)
            {
                Fail($"digest mismatch on {_view.Mismatches()}; destination VM not started", drain.Stop.Incoming);
                return;
            }
            CommitIfReady(drain with { DestinationReady = true });
        });
        Cancellable(drain.Stop.Incoming);
        DestinationFailures(drain.Stop.Incoming, reason => Fail(reason, drain.Stop.Incoming));
        Always();
    }

    private void CommitIfReady(Drain drain)
    {
        if (!drain.DestinationReady || drain.Draining.Count > 0)
        {
            Become(() => StopCopy(drain));
            return;
        }
        CloseChannels(); // after the destination is ready: it takes a channel ending before then as a break

        if (_fence.Ledger is null)
        {
            SendCommit(new Handover(drain.Stop, _fence.Epoch + 1));
            return;
        }
        // Fencing: the ledger records the new epoch before the destination may start; asked until it answers (its node may be failing over).
        var commit = new OwnershipProtocol.Commit(_vm.Name, _id, _fence.Node.ToString(), _destination.ToString(), _fence.Epoch + 1);
        Context.ActorOf(LedgerQuestion.Props(_fence.Ledger, commit, _settings.OwnershipTimeouts.Retry, _settings.OwnershipTimeouts.ResolveAttempts), "commit");
        Become(() => AwaitingCommit(drain.Stop));
    }

    // ---- the commit --------------------------------------------------------------------------------

    /// <summary>The ledger is asked to commit: only its decision may end the migration now.</summary>
    private void AwaitingCommit(Stopped stop)
    {
        Receive<OwnershipProtocol.Committed>(c => c.Migration == _id, c => SendCommit(new Handover(stop, c.Epoch)));
        Receive<OwnershipProtocol.Fenced>(f => f.Migration == _id, _ => FenceLost(stop, "the ownership ledger fenced this migration before its commit"));
        Receive<OwnershipProtocol.Refused>(r => r.Migration == _id, r => StayPaused($"the ownership ledger refused the commit: {r.Reason}"));
        // Commits answered to nobody (lost on the way back) are found by resolving, which a fenced-off commit also ends.
        Receive<LedgerQuestion.Unanswered>(u => u.Migration == _id, u =>
            Resolve(stop, $"the ownership ledger did not answer the commit ({u.Attempts} asks over {u.Asked.TotalSeconds:0} s)", destinationLost: false));
        // A rollback now could leave the ledger naming the destination while the source runs.
        Receive<Cancel>(_ => _log.Warning("Migration {0}: cancel after the commit was requested has no effect", _id));
        DestinationFailures(stop.Incoming, reason => Resolve(stop, reason, destinationLost: true));
        Always();
    }

    private void SendCommit(Handover handover)
    {
        // Recorded: the destination starts on this word alone, so a ledger failing over now delays nothing.
        handover.Stop.Incoming.Tell(new IncomingProtocol.Commit(_id, handover.Epoch, Recorded: _fence.Ledger is not null));
        Timers.StartSingleTimer(CommitTimedOut.Instance, CommitTimedOut.Instance, _settings.CommitTimeout);
        Become(() => Committed(handover));
        Reached(MigrationPhase.AfterCommit);
    }

    /// <summary>The destination was told to start; the source never resumes from here.</summary>
    private void Committed(Handover handover)
    {
        Receive<IncomingProtocol.Running>(running => running.Migration == _id, _ => Complete(handover.Stop));
        Receive<CommitTimedOut>(_ => HandedOver(handover, $"the destination did not confirm the start within {_settings.CommitTimeout.TotalSeconds:0} s after commit"));
        Receive<Cancel>(_ => _log.Warning("Migration {0}: cancel after commit has no effect", _id));
        DestinationFailures(handover.Stop.Incoming, reason => HandedOver(handover, reason));
        Always();
    }

    // ---- resolving a commit whose fate is unknown ------------------------------------------------

    /// <summary>The commit's fate is unknown: ask the ledger, which commits nothing new and fences an unrecorded epoch.</summary>
    private void Resolve(Stopped stop, string reason, bool destinationLost)
    {
        Timers.Cancel(PeerStopped.Key);
        _log.Warning("Migration {0} of {1}: {2}; asking the ownership ledger before the source may resume", _id, _vm.Name, reason);
        // A commit asked and a resolve asked get one consistent decision in either order.
        if (!Context.Child("commit").IsNobody())
            Context.Stop(Context.Child("commit"));
        Context.ActorOf(LedgerQuestion.Props(_fence.Ledger!, new OwnershipProtocol.Resolve(_vm.Name, _id),
            _settings.OwnershipTimeouts.Retry, _settings.OwnershipTimeouts.ResolveAttempts), "resolve");
        var resolution = new Resolution(stop, reason, destinationLost ? reason : null);
        Become(() => Resolving(resolution));
    }

    private void Resolving(Resolution resolution)
    {
        Receive<OwnershipProtocol.Committed>(c => c.Migration == _id, c =>
        {
            var handover = new Handover(resolution.Stop, c.Epoch);
            if (resolution.PeerLost is not null)
            {
                HandedOver(handover, resolution.Reason);
                return;
            }
            // Recorded after all, and the destination is still there: finish the switchover.
            _log.Info("Migration {0}: the ledger had recorded the commit; committing the destination", _id);
            SendCommit(handover);
        });
        Receive<OwnershipProtocol.Fenced>(f => f.Migration == _id, _ => FenceLost(resolution.Stop, resolution.Reason));
        Receive<LedgerQuestion.Unanswered>(u => u.Migration == _id, u =>
            StayPaused($"{resolution.Reason}; the ownership ledger could not be reached for {u.Asked.TotalSeconds:0} s"));
        Receive<Terminated>(t => t.ActorRef.Equals(resolution.Stop.Incoming), t =>
            Become(() => Resolving(resolution with { PeerLost = resolution.PeerLost ?? $"the destination migration actor {t.ActorRef.Path} stopped" })));
        Receive<DisassociatedEvent>(e => e.RemoteAddress.Equals(_destination), _ =>
            Become(() => Resolving(resolution with { PeerLost = resolution.PeerLost ?? $"lost the connection to the destination {_destination}" })));
        Receive<Cancel>(_ => _log.Warning("Migration {0}: cancel while the ledger decides ownership has no effect", _id));
        Always();
        ReceiveAny(_ => { });
    }
}
