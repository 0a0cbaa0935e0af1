using Akka.Cluster;
using static Orchestrator.Actors.Workflows.LookupProtocol;

namespace Orchestrator.Actors.Workflows;

/// <summary>
/// One query-migrate across the cluster: only the fleet knows a queued migration, the source host holds a migration's record, the
/// fleet's journal an outcome for when that host is gone. All are asked at once; the most telling answer wins; stops once answered.
/// </summary>
internal sealed class QueryMigrateLookup : ReceiveActor
{
    public static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(5);

    private sealed record Answers(object? Queue, object? Final, (string Host, object? Answer)[] Hosts);

    public QueryMigrateLookup(FindMigration find, IActorRef? fleet, IActorRef replyTo)
    {
        var cluster = Cluster.Get(Context.System);
        var members = HostViews.Named(cluster.State.Members).Keys.ToArray();
        var reachable = HostViews.Askable(cluster).Select(h => (Host: h.Key, Selection: Context.ActorSelection(HostProtocol.PathOn(h.Value)))).ToArray();
        Asked(fleet, reachable, find.Vm).PipeTo(Self);
        Receive<Answers>(answers =>
        {
            replyTo.Tell(Decide(find.Vm, answers, members));
            Context.Stop(Self);
        });
    }

    public static Props Props(FindMigration find, IActorRef? fleet, IActorRef replyTo) =>
        Akka.Actor.Props.Create(() => new QueryMigrateLookup(find, fleet, replyTo));

    private static async Task<Answers> Asked(IActorRef? fleet, (string Host, ActorSelection Selection)[] hosts, string vm)
    {
        var queue = HostViews.Answer(fleet, FleetProtocol.ListMigrations.Instance, AskTimeout);
        var final = HostViews.Answer(fleet, new FleetProtocol.GetFinal(vm), AskTimeout);
        var answers = hosts.Select(async h => (h.Host, await HostViews.Answer(h.Selection, new HostProtocol.QueryMigrate(vm), AskTimeout))).ToArray();
        return new Answers(await queue, await final, await Task.WhenAll(answers));
    }

    private static object Decide(string vm, Answers answers, IEnumerable<string> members)
    {
        if (answers.Queue is FleetProtocol.MigrationList list
            && list.Migrations.FirstOrDefault(m => m.Vm == vm && m.Status == MigrationStatus.Queued) is { } queued)
            return new Queued(queued);
        var latest = answers.Hosts.Select(h => h.Answer).OfType<MigrationInfo>().MaxBy(i => i.StartedAt);
        // The journal's outcome only when no host still holds that migration's own, fuller record.
        if (answers.Final is FleetProtocol.FinalOf { Id: { } id, Final: { } outcome } && latest?.Id != id
            && (latest is null || outcome.StartedAt is { } started && started > latest.StartedAt))
            return new Recorded(id, outcome);
        if (latest is not null)
            return new Found(latest);
        if (answers.Hosts.Any(h => h.Answer is HostProtocol.NoMigration))
            return Never.Instance;
        var heard = answers.Hosts.Where(h => h.Answer is not null).Select(h => h.Host).ToHashSet();
        return new Missing(members.Where(m => !heard.Contains(m)).Order().ToArray());
    }
}
