namespace Orchestrator.Cli.Commands;

/// <summary><c>migrate NAME --to HOST</c> (QEMU's <c>migrate</c>); <c>--wait</c> follows it as the demo does, exit 0 only if it completed.</summary>
internal static class MigrateCommand
{
    private static readonly string[] ParameterOptions = ["--downtime-limit", "--max-bandwidth", "--switchover-ack-timeout"];
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(250);

    /// <summary>How long to keep asking after an interrupt sent migrate-cancel, before leaving the end unknown.</summary>
    private static readonly TimeSpan CancelBound = TimeSpan.FromSeconds(30);

    public static async Task<int> Run(IReadOnlyList<string> args, ClientContext c)
    {
        var a = Arguments.Parse(args, ["--to", "--capabilities", "--timeout", "--timeout-action", .. ParameterOptions], ["--wait", "--json"], positionals: true)
            .WithAtMostPositionals(1);
        var name = a.Positional(0, "VM name: migrate NAME --to HOST");
        var body = new JsonObject { ["to"] = a.Required("--to") };
        // Checked here with the demo's rules and QEMU's texts, so invalid input exits 2 before any request.
        if (a.Values("--capabilities") is { Count: > 0 } lists)
        {
            var list = string.Join(",", lists);
            if (MigrationCapabilities.ParseList(list).Check() is { } error)
                throw new MigrationArgumentException(error);
            body["capabilities"] = list;
        }
        // virsh's --timeout and --timeout-suspend: the fleet aborts (or pauses the guest) when the migration has not completed in time.
        if (a.Value("--timeout") is { } timeout)
        {
            try
            {
                _ = Api.MigrationInput.Timeout(timeout);
            }
            catch (Api.ApiInputException)
            {
                throw new UsageException($"Invalid --timeout '{timeout}': use a positive duration, seconds (30 or 30s), minutes (2min) or milliseconds (500ms)");
            }
            body["timeout"] = timeout;
        }
        if (a.Value("--timeout-action") is { } action)
            body["timeout-action"] = action is "abort" or "pause" ? action : throw new UsageException($"Invalid --timeout-action '{action}': use abort or pause");
        var parameters = ParameterOptions.Where(o => a.Value(o) is not null).Select(o => KeyValuePair.Create(o[2..], a.Value(o)!)).ToArray();
        _ = parameters.Aggregate(new MigrationParameters(), (checking, p) => checking.With(p.Key, p.Value));
        if (parameters.Length > 0)
            body["parameters"] = new JsonObject(parameters.Select(p => KeyValuePair.Create(p.Key, (JsonNode?)p.Value)));

        var started = await c.Api.Post($"/vms/{ApiClient.Segment(name)}/migrate", body, c.Cancel);
        var json = a.Has("--json");
        // The fleet admits every migration: "queued" waits for a permit, "setup" (or no status, from an older node) runs.
        var queued = started.Text("status") == "queued" ? ", queued (waiting for a permit)" : "";
        if (!a.Has("--wait"))
        {
            if (json)
                c.WriteJson(started);
            else
                c.Out.WriteLine($"Migration {started.Text("id")} of {name} {(queued == "" ? "started" : "queued (waiting for a permit)")}: " +
                                $"{started.Text("source")} -> {started.Text("destination")} (follow it with 'orchestrator query-migrate {name}')");
            return 0;
        }
        if (!json)
            c.Out.WriteLine($"Migration {started.Text("id")} of {name}: {started.Text("source")} -> {started.Text("destination")}{queued}");

        var (final, info) = await Follow(name, started.Text("id"), c, line => { if (!json) c.Out.WriteLine(line); });
        if (info is null)
            return 1;
        if (json)
            c.WriteJson(final);
        else
            c.WriteLines(ProgressView.Summary(info));
        return info.Status == MigrationStatus.Completed ? 0 : 1;
    }

    /// <summary>Polls query-migrate to the end; an interrupt cancels (as <c>virsh migrate</c>) and keeps following. (null, null): no end showed.</summary>
    private static async Task<(JsonObject? Json, MigrationInfo? Info)> Follow(string name, string id, ClientContext c, Action<string> progress)
    {
        var path = $"/vms/{ApiClient.Segment(name)}/migration";
        DateTime? cancelledAt = null;
        var unavailable = 0;
        var wasQueued = false;
        while (true)
        {
            try
            {
                var json = (await c.Api.Get(path, CancellationToken.None)).Object("query-migrate");
                unavailable = 0;
                // Until the new migration shows, the answer may still be the VM's previous one (whatever its status).
                var ours = id == "" || json.Text("id") == id;
                // Waiting for a permit: {"id", "status": "queued", "source", "destination"}, no QEMU state; one line, then keep polling.
                if (ours && json.Text("status") == "queued")
                {
                    if (!wasQueued)
                        progress($"[queued] waiting for a permit: {json.Text("source")} -> {json.Text("destination")}");
                    wasQueued = true;
                }
                else if (ours && QueryMigrateJson.FromJson(json) is { } info)
                {
                    wasQueued = false;
                    if (info.Status.IsTerminal())
                        return (json, info);
                    progress(ProgressView.Line(info));
                }
            }
            catch (ApiException e) when (e.Status == 503 && ++unavailable < ClientContext.MaxUnavailableInARow)
            {
            }
            if (cancelledAt is null && c.Cancel.IsCancellationRequested)
            {
                c.Err.WriteLine($"interrupted: cancelling migration {id} of {name}");
                await c.Api.Post($"{path}/cancel", null, CancellationToken.None);
                cancelledAt = DateTime.UtcNow;
            }
            if (DateTime.UtcNow - cancelledAt > CancelBound)
            {
                c.Err.WriteLine($"migration {id} of {name} has not ended {CancelBound.TotalSeconds:0} s after migrate-cancel: " +
                                $"see 'orchestrator query-migrate {name}'");
                return (null, null);
            }
            await Task.Delay(PollInterval, CancellationToken.None);
        }
    }
}
