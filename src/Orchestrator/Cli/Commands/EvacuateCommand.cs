using System.Diagnostics;

namespace Orchestrator.Cli.Commands;

/// <summary>
/// <c>orchestrator evacuate HOST [--wait] [--json]</c> (POST /hosts/{host}/evacuate): drains the host, prints the plan and the VMs that fit nowhere;
/// <c>--wait</c> follows the moves in GET /migrations, exit 0 only when every move completed and no VM was left behind.
/// </summary>
internal static class EvacuateCommand
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(500);

    public static async Task<int> Run(IReadOnlyList<string> args, ClientContext c)
    {
        var a = Arguments.Parse(args, [], ["--wait", "--json"], positionals: true).WithAtMostPositionals(1);
        var host = a.Positional(0, "host name: evacuate HOST [--wait] [--json]");
        var (wait, json) = (a.Has("--wait"), a.Has("--json"));

        // The 202 names no ids and GET /migrations keeps earlier ones (other evacuations' too): what is listed before is not a move.
        var before = wait ? (await c.Api.Get("/migrations", c.Cancel)).Array("migrations").Select(m => m.Text("id")).ToHashSet() : [];
        var plan = (await c.Api.Post($"/hosts/{ApiClient.Segment(host)}/evacuate", null, c.Cancel)).Object("evacuation plan");
        var moves = plan["moves"] as JsonArray ?? [];
        var unplaceable = plan["unplaceable"] as JsonArray ?? [];
        if (!json)
            c.WriteLines(Plan(host, moves, unplaceable));
        else if (!wait)
            c.WriteJson(plan);
        if (!wait)
            return 0;

        JsonArray results;
        try
        {
            results = moves.Count == 0 ? [] : await Follow(host, moves.Select(m => m.Text("vm")).ToArray(), before, c, line => { if (!json) c.Out.WriteLine(line); });
        }
        catch (OperationCanceledException) when (c.Cancel.IsCancellationRequested)
        {
            c.Err.WriteLine($"stopped following: the evacuation of {host} goes on ('orchestrator evacuate-cancel {host}' stops it)");
            throw;
        }
        var success = unplaceable.Count == 0 && results.All(r => r.Text("status") == "completed");
        if (json)
        {
            c.WriteJson(new JsonObject
            {
                ["host"] = plan.Text("host") is { Length: > 0 } name ? name : host,
                ["moves"] = moves.DeepClone(),
                ["unplaceable"] = unplaceable.DeepClone(),
                ["results"] = results,
            });
        }
        else
        {
            c.WriteLines(Summary(host, results, unplaceable));
        }
        return success ? 0 : 1;
    }

    private static IEnumerable<string> Plan(string host, JsonArray moves, JsonArray unplaceable)
    {
        yield return $"Evacuating {host} (draining: no new VMs land there): {Count(moves.Count, "move")}, {unplaceable.Count} unplaceable";
        if (moves.Count > 0)
            foreach (var line in TextTable.Render(["VM", "FROM", "TO", "SIZE"],
                         moves.Select(m => (IReadOnlyList<string>)[m.Text("vm"), m.Text("from"), m.Text("to"), m.Size("size")])))
                yield return "  " + line;
        foreach (var line in Unplaceable(host, unplaceable))
            yield return line;
    }

    private static IEnumerable<string> Unplaceable(string host, JsonArray unplaceable) =>
        unplaceable.Select(u => $"  {u.Text("vm")} ({u.Size("size")}) stays running on {host}: {u.Text("reason")}");

    private static IEnumerable<string> Summary(string host, JsonArray results, JsonArray unplaceable)
    {
        var completed = results.Count(r => r.Text("status") == "completed");
        yield return "";
        yield return $"Evacuation of {host}: {completed} of {Count(results.Count, "move")} completed" +
                     (unplaceable.Count > 0 ? $", {unplaceable.Count} VM(s) unplaceable" : "");
        foreach (var r in results.Where(r => r.Text("status") != "completed"))
            yield return $"  {r.Text("vm")} {r.Text("status")}{(r.Text("reason") is { Length: > 0 } reason ? ": " + reason : "")}";
        foreach (var line in Unplaceable(host, unplaceable))
            yield return line;
    }

    /// <summary>Polls GET /migrations and /fleet/permits until every move ended (a line when counts or permits change): final states, in plan order.</summary>
    private static async Task<JsonArray> Follow(string host, IReadOnlyList<string> vms, IReadOnlySet<string> before, ClientContext c, Action<string> progress)
    {
        var clock = Stopwatch.StartNew();
        string? last = null;
        var unavailable = 0;
        while (true)
        {
            try
            {
                var migrations = (await c.Api.Get("/migrations", c.Cancel)).Array("migrations");
                var latest = vms.Select(vm => (Vm: vm, Migration: Latest(migrations, vm, host, before))).ToArray();
                var statuses = latest.Select(m => State(m.Migration)).ToArray();
                var permits = await c.Api.Get("/fleet/permits", c.Cancel);
                unavailable = 0;
                var line = $"{Counts(statuses, vms.Count)} | {Permits(permits, host)}";
                if (line != last)
                    progress($"[{clock.Elapsed.TotalSeconds,6:0.0}s] {line}");
                last = line;
                if (statuses.All(s => s is "completed" or "failed" or "cancelled"))
                {
                    return new JsonArray(latest.Select(m => (JsonNode)new JsonObject
                    {
                        ["vm"] = m.Vm,
                        ["status"] = m.Migration.Text("status"),
                        ["reason"] = m.Migration?["reason"]?.DeepClone(),
                    }).ToArray());
                }
            }
            catch (ApiException e) when (e.Status == 503 && ++unavailable < ClientContext.MaxUnavailableInARow)
            {
            }
            await Task.Delay(PollInterval, c.Cancel);
        }
    }

    /// <summary>The newest evacuation migration of the VM off this host that was not listed before the evacuation began.</summary>
    private static JsonNode? Latest(JsonArray migrations, string vm, string host, IReadOnlySet<string> before) =>
        migrations.FirstOrDefault(m => m.Text("vm") == vm && m.Text("source") == host && m.Text("kind") == "evacuation" && !before.Contains(m.Text("id")));

    /// <summary>A move not listed yet is about to be queued; any QEMU state short of the end is running.</summary>
    private static string State(JsonNode? migration) => migration.Text("status") switch
    {
        "" or "queued" => "queued",
        "completed" or "failed" or "cancelled" => migration.Text("status"),
        _ => "running",
    };

    private static string Counts(IReadOnlyList<string> states, int total)
    {
        int Of(string state) => states.Count(s => s == state);
        return $"{Of("completed")}/{total} completed, {Of("running")} running, {Of("queued")} queued, {Of("failed")} failed" +
               (Of("cancelled") > 0 ? $", {Of("cancelled")} cancelled" : "");
    }

    private static string Permits(JsonNode? permits, string host)
    {
        var outbound = permits?["outbound"]?[host] is { } n ? n.Text() : "0";
        return $"permits {permits.Text("held")}/{permits?["limits"].Text("cluster")} held, {host} outbound {outbound}/{permits?["limits"].Text("outbound")}, " +
               $"{permits.Text("queued")} queued";
    }

    private static string Count(int n, string what) => $"{n} {what}{(n == 1 ? "" : "s")}";
}
