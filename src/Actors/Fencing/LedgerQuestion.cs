using static Orchestrator.Actors.Fencing.OwnershipProtocol;

namespace Orchestrator.Actors.Fencing;

/// <summary>
/// Asks the ledger <see cref="Commit"/> or <see cref="Resolve"/> until it decides, hands the decision (<see cref="Committed"/>,
/// <see cref="Fenced"/> or <see cref="Refused"/>) to its parent and stops. Both are idempotent, so asking on is safe and carries a
/// migration across a ledger failover (failure detection and downing: seconds to tens of seconds, docs/cluster.md).
/// </summary>
internal sealed class LedgerQuestion : ReceiveActor, IWithTimers
{
    /// <summary>To the parent: the ledger did not decide after <paramref name="Attempts"/> asks over <paramref name="Asked"/>.</summary>
    public sealed record Unanswered(MigrationId Migration, int Attempts, TimeSpan Asked);

    private sealed record AskAgain { public static readonly AskAgain Instance = new(); }

    /// <summary>A silent ledger is logged once per this many asks by an unbounded question.</summary>
    private const int LogEvery = 15;

    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly IActorRef _ledger;
    private readonly object _question;
    private readonly MigrationId _migration;
    private readonly string _vm;
    private readonly TimeSpan _interval;
    private readonly int? _attempts;
    private int _asked;

    public LedgerQuestion(IActorRef ledger, object question, MigrationId migration, string vm, TimeSpan interval, int? attempts)
    {
        _ledger = ledger;
        _question = question;
        _migration = migration;
        _vm = vm;
        _interval = interval;
        _attempts = attempts;
        Receive<Committed>(c => c.Migration == migration, Decided);
        Receive<Fenced>(f => f.Migration == migration, Decided);
        Receive<Refused>(r => r.Migration == migration, Decided);
        Receive<AskAgain>(_ => Ask());
    }

    public ITimerScheduler Timers { get; set; } = null!;

    /// <param name="ledger">The ledger's singleton proxy.</param>
    /// <param name="interval">Between two asks (an answer slower than this is not lost: a later ask gets the same decision).</param>
    /// <param name="attempts">Asks before the parent hears <see cref="Unanswered"/>; null asks without end (a destination
    /// holding a verified copy may neither start nor discard it unasked).</param>
    public static Props Props(IActorRef ledger, Commit question, TimeSpan interval, int? attempts) =>
        Akka.Actor.Props.Create(() => new LedgerQuestion(ledger, question, question.Migration, question.Vm, interval, attempts));

    /// <inheritdoc cref="Props(IActorRef, Commit, TimeSpan, int?)"/>
    public static Props Props(IActorRef ledger, Resolve question, TimeSpan interval, int? attempts) =>
        Akka.Actor.Props.Create(() => new LedgerQuestion(ledger, question, question.Migration, question.Vm, interval, attempts));

    protected override void PreStart() => Ask();

    private void Ask()
    {
        if (_asked == _attempts)
        {
            Context.Parent.Tell(new Unanswered(_migration, _asked, _interval * _asked));
            Context.Stop(Self);
            return;
        }
        _asked++;
        if (_attempts is null && _asked % LogEvery == 0)
            _log.Error("Migration {0} of {1}: the ownership ledger has not answered for {2:0} s; still asking",
                _migration, _vm, (_interval * _asked).TotalSeconds);
        _ledger.Tell(_question);
        Timers.StartSingleTimer(AskAgain.Instance, AskAgain.Instance, _interval);
    }

    private void Decided(object decision)
    {
        Context.Parent.Tell(decision);
        Context.Stop(Self);
    }
}
