using Orchestrator.Actors.Fleet;
using Orchestrator.Actors.Workflows;

namespace Orchestrator.Api;

/// <summary>QEMU's migration commands over HTTP: migrate, query-migrate, cancel, continue, set-parameters.</summary>
public static class MigrationEndpoints
{
    public static void Map(IEndpointRouteBuilder api)
    {
        api.MapPost("/vms/{name}/migrate", async (string name, HttpRequest request, ClusterHosts cluster) =>
        {
            var body = await RequestBody.Read(request, "to", "capabilities", "parameters", "timeout", "timeout-action");
            var to = body.Required("to");
            if (HostName.Problem(to) is { } badHost)
                throw new ApiInputException(badHost);
            var capabilities = body.Text("capabilities") is { } list ? MigrationInput.Capabilities(list) : null;
            var onTimeout = body.Text("timeout-action") is { } action
                ? Node.FleetOptions.ParseAction(action) ?? throw new ApiInputException($"Field 'timeout-action' must be abort or pause, not '{NameRule.Shown(action)}'")
                : (TimeoutAction?)null;
            var timeout = body.Text("timeout") is { } text ? MigrationInput.Timeout(text) : (TimeSpan?)null;
            var parameters = MigrationInput.Parameters(body.Object("parameters") ?? []);
            // The fleet admits it: permits, capacity and draining are checked there, one admission at a time.
            return await cluster.AskFleet(new FleetProtocol.RequestMigration(name, to, capabilities, parameters, onTimeout, timeout)) switch
            {
                FleetProtocol.MigrationAdmitted admitted => ApiResults.Json(new JsonObject
                {
                    ["id"] = admitted.Id.Value,
                    ["vm"] = name,
                    ["source"] = admitted.Source,
                    ["destination"] = admitted.Destination,
                    ["status"] = admitted.Status.Name(),
                }, StatusCodes.Status202Accepted),
                var other => ApiResults.Refusal(other),
            };
        });

        api.MapGet("/vms/{name}/migration", async (string name, ActorRegistry registry) =>
            await registry.Get<VmHostKey>().Ask<object>(new LookupProtocol.FindMigration(name), LookupProtocol.Bound) switch
            {
                LookupProtocol.Queued queued => ApiResults.Json(new JsonObject
                {
                    ["id"] = queued.Record.Id.Value,
                    ["status"] = "queued",
                    ["source"] = queued.Record.Source,
                    ["destination"] = queued.Record.Destination,
                }),
                LookupProtocol.Found found => ApiResults.Json(QueryMigrateJson.ToJson(found.Info)),
                LookupProtocol.Recorded recorded => ApiResults.Json(QueryMigrateJson.ToJson(recorded.Id, recorded.Outcome)),
                LookupProtocol.Never => ApiResults.Json(new JsonObject()),
                LookupProtocol.Missing missing => ApiResults.VmMissing(name, missing.Silent),
                var other => ApiResults.Unexpected(other),
            });

        api.MapPost("/vms/{name}/migration/cancel", async (string name, ClusterHosts cluster) =>
        {
            // One waiting for a permit lives only in the fleet; best effort, so a running one stays cancellable while the singleton moves.
            await cluster.TryAskFleet(new FleetProtocol.CancelQueued(name));
            if ((await cluster.LookupVm(name)).Found is { } found)
                return await cluster.Ask(found.Host, new HostProtocol.MigrateCancel(name)) is CommandResult { Error: { } } error
                    ? ApiResults.Error(error)
                    : ApiResults.Json(new JsonObject());
            // Gone from every host: a cancel after the end changes nothing, as in QEMU.
            var answers = await cluster.AskAll(new HostProtocol.QueryMigrate(name));
            return answers.Any(a => a.Answer is MigrationInfo) ? ApiResults.Json(new JsonObject()) : ApiResults.VmNotFound(name);
        });

        // QEMU refuses migrate-continue outside pre-switchover: a conflict, unless there is no such VM.
        api.MapPost("/vms/{name}/migration/continue", (string name, ClusterHosts cluster) =>
            cluster.OnVmHost(name, new HostProtocol.MigrateContinue(name), answer => ApiResults.Done(answer is CommandResult { Error: not null, Kind: not ErrorKind.NotFound } error
                ? error with { Kind = ErrorKind.Conflict }
                : answer)));

        api.MapPost("/vms/{name}/parameters", async (string name, HttpRequest request, ClusterHosts cluster) =>
        {
            var changes = MigrationInput.Parameters((await RequestBody.Read(request)).Fields);
            return await cluster.OnVmHost(name, new HostProtocol.SetParameters(name, changes), answer => answer is HostProtocol.MigrationSettingsOf settings
                ? ApiResults.Json(ApiJson.Parameters(settings.Parameters))
                : ApiResults.Refusal(answer));
        });
    }
}
