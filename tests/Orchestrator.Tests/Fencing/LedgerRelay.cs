using Akka.Actor;
using static Orchestrator.Actors.Fencing.OwnershipProtocol;

namespace Orchestrator.Tests.Fencing;

/// <summary>What a <see cref="LedgerRelay"/> loses on the way to the ownership ledger.</summary>
public enum LedgerFault
{
    None,
    DropCommit,
    DropCommitReply,
    BlackholeAfterCommit,
    BlackholeCommitReply,
    Blackhole,
}

/// <summary>
/// Stands between a node and the ownership ledger and loses what its fault says. Telling it a
/// <see cref="LedgerFault"/> changes the fault; <see cref="LedgerFault.None"/> heals it.
/// </summary>
public sealed class LedgerRelay : ReceiveActor
{
    /// <summary>From now on the ledger is this one (a successor, as after a failover of the ledger's node).</summary>
    public sealed record Retarget(IActorRef Ledger);

    public LedgerRelay(IActorRef ledger, LedgerFault fault)
    {
        var blackholed = fault == LedgerFault.Blackhole;
        Receive<Retarget>(retarget => ledger = retarget.Ledger);
        Receive<LedgerFault>(changed =>
        {
            fault = changed;
            blackholed = changed == LedgerFault.Blackhole;
        });
        Receive<Commit>(commit =>
        {
            switch (fault)
            {
                case LedgerFault.DropCommit:
                case LedgerFault.Blackhole:
                    return;
                case LedgerFault.DropCommitReply:
                    ledger.Tell(commit, ActorRefs.NoSender);
                    return;
                case LedgerFault.BlackholeAfterCommit:
                    blackholed = true;
                    return;
                case LedgerFault.BlackholeCommitReply:
                    ledger.Tell(commit, ActorRefs.NoSender); // recorded, but nobody hears of it
                    blackholed = true;
                    return;
                default:
                    ledger.Forward(commit);
                    return;
            }
        });
        ReceiveAny(message =>
        {
            if (!blackholed)
                ledger.Forward(message);
        });
    }

    public static Props Props(IActorRef ledger, LedgerFault fault) => Akka.Actor.Props.Create(() => new LedgerRelay(ledger, fault));
}
