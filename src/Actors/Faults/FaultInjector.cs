using System.Diagnostics;

namespace Orchestrator.Actors.Faults;

/// <summary>
/// TEST-ONLY fault injection on one node (see <see cref="FaultsProtocol"/>): arms kills at a migration phase and corruptions of incoming
/// copies (<see cref="IncomingCorruption"/>), and obeys <see cref="FaultsProtocol.Die"/> with SIGKILL to its own process, so peers see a
/// crash (the kernel closes the sockets), never a leave. A tap on the publishing migration's own thread watches the phase: the order to die
/// is sent before the migration's next step, and nothing waits on that thread for it to be obeyed.
/// </summary>
internal sealed class FaultInjector : ReceiveActor
{
    private readonly ILoggingAdapter _log = Context.GetLogger();

    public FaultInjector(IncomingCorruption corruption, Action die)
    {
        var armings = new Armings(Context.System, die, Context.GetLogger());
        PhaseTap.Attach(Context.System, armings.OnPhase);
        Receive<FaultsProtocol.KillAt>(arm =>
        {
            armings.Add(arm);
            _log.Warning("Fault armed: kill {0} when {1}'s migration reaches {2} here", arm.Victim, arm.Vm, arm.Phase);
            Sender.Tell(new FaultsProtocol.Armed(arm.Vm, arm.Phase, arm.Victim));
        });
        Receive<FaultsProtocol.CorruptNextIncoming>(corrupt =>
        {
            corruption.Arm(corrupt.Vm);
            _log.Warning("Fault armed: corrupt the next incoming copy of {0} here", corrupt.Vm);
            Sender.Tell(new FaultsProtocol.CorruptionArmed(corrupt.Vm));
        });
        Receive<FaultsProtocol.GetPhases>(_ => Sender.Tell(new FaultsProtocol.Phases(armings.Seen())));
        Receive<FaultsProtocol.Die>(order =>
        {
            // Not through the (asynchronous) logger: the line must be in the log before the process is gone.
            Console.Error.WriteLine($"{FaultsProtocol.DyingLine} ({order.Reason})");
            Console.Error.Flush();
            die();
        });
    }

    /// <param name="corruption">What the node's host was given to decorate incoming loads with.</param>
    /// <param name="die">How the node dies; the default SIGKILLs this process.</param>
    public static Props Props(IncomingCorruption corruption, Action? die = null) =>
        Akka.Actor.Props.Create(() => new FaultInjector(corruption, die ?? KillThisProcess));

    /// <summary>SIGKILL to itself: <c>Environment.Exit</c> would run shutdown hooks, which is not a crash.</summary>
    public static void KillThisProcess() => Process.GetCurrentProcess().Kill();

    private sealed class Armings(ActorSystem system, Action die, ILoggingAdapter log)
    {
        private readonly Lock _sync = new();
        private readonly List<FaultsProtocol.KillAt> _armed = [];
        private readonly Queue<FaultsProtocol.PhaseSeen> _seen = new();

        public IReadOnlyList<FaultsProtocol.PhaseSeen> Seen()
        {
            lock (_sync)
                return _seen.ToArray();
        }

        public void Add(FaultsProtocol.KillAt arm)
        {
            lock (_sync)
                _armed.Add(arm);
        }

        public void OnPhase(MigrationPhaseReached reached)
        {
            FaultsProtocol.KillAt? fire;
            lock (_sync)
            {
                _seen.Enqueue(new FaultsProtocol.PhaseSeen(reached.Migration, reached.Vm, reached.Phase, reached.Destination, DateTimeOffset.UtcNow));
                if (_seen.Count > 1000)
                    _seen.Dequeue();
                fire = _armed.FirstOrDefault(a => a.Vm == reached.Vm && a.Phase == reached.Phase);
                if (fire is not null)
                    _armed.Remove(fire);
            }
            if (fire is null)
                return;
            var self = ((ExtendedActorSystem)system).Provider.DefaultAddress;
            var reason = $"{reached.Vm}'s migration {reached.Migration} reached {reached.Phase} on {self}";
            if (fire.Victim.Equals(self))
            {
                log.Warning("Fault: killing this node ({0})", reason);
                die();
                return;
            }
            log.Warning("Fault: telling {0} to die ({1})", fire.Victim, reason);
            // Queued ahead of what the migration sends the victim next (one association, in order); the drill's kill step waits for it to be gone.
            system.ActorSelection(FaultsProtocol.PathOn(fire.Victim)).Tell(new FaultsProtocol.Die(reason), ActorRefs.NoSender);
        }
    }
}
