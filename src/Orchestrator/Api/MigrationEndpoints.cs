using System.Text.Json.Nodes;
using Orchestrator.Actors.Fleet;
using Orchestrator.Actors.Host;
using Orchestrator.Actors.Migration;
using Orchestrator.Output;

namespace Orchestrator.Api;

/// <summary>QEMU's migration commands over HTTP: migrate, query-migrate, cancel, continue, set-parameters.</summary>
public static class MigrationEndpoints
{
    public static void Map(IEndpointRouteBuilder api)
    {
        api.MapPost("/vms/{name}/migrate", async (string name, HttpRequest request, ClusterHosts cluster) =>
        {
            var body = await RequestBody.Read(request, "to", "capabilities", "parameters", "timeout-action");
            var to = body.Required("to");
            if (HostName.Problem(to) is { } badHost)
                throw new ApiInputException(badHost);
            var capabilities = body.Text("capabilities") is { } list ? MigrationInput.Capabilities(list) : null;
            var onTimeout = body.Text("timeout-action") is { } action
                ? Node.FleetOptions.ParseAction(action) ?? throw new ApiInputException($"Field 'timeout-action' must be abort or pause, not '{NameRule.Shown(action)}'")
                : (TimeoutAction?)null;
            var parameters = MigrationInput.Parameters(body.Object("parameters") ?? []);
            // The fleet admits it: permits, capacity and draining are checked there, one admission at a time.
            return await cluster.AskFleet(new FleetProtocol.RequestMigration(name, to, capabilities, parameters, onTimeout)) switch
            {
                FleetProtocol.MigrationAdmitted admitted => ApiResults.Json(new JsonObject
                {
                    ["id"] = admitted.Id.Value,
                    ["vm"] = name,
                    ["source"] = admitted.Source,
                    ["destination"] = admitted.Destination,
                    ["status"] = admitted.Status.Name(),
                }, StatusCodes.Status202Accepted),
                CommandResult error => ApiResults.Error(error),
                var other => ApiResults.Unexpected(other),
            };
        });

        api.MapGet("/vms/{name}/migration", async (string name, ClusterHosts cluster) =>
        {
            // A migration waiting for a permit is only known to the fleet.
            if (await cluster.TryAskFleet(FleetProtocol.ListMigrations.Instance) is FleetProtocol.MigrationList list
                && list.Migrations.FirstOrDefault(m => m.Vm == name && m.Status == MigrationStatus.Queued) is { } queued)
                return ApiResults.Json(new JsonObject
                {
                    ["id"] = queued.Id.Value,
                    ["status"] = "queued",
                    ["source"] = queued.Source,
                    ["destination"] = queued.Destination,
                });
            // The latest migration's record lives on the host it left from, wherever the VM is now;
            // the fleet's journal has it too, for when that host is gone.
            var answers = await cluster.AskAll(new HostProtocol.QueryMigrate(name));
            var recorded = await cluster.TryAskFleet(new FleetProtocol.GetFinal(name)) as FleetProtocol.FinalOf;
            var latest = answers.Select(a => a.Answer).OfType<MigrationInfo>().MaxBy(i => i.StartedAt);
            // The journal's outcome only when no host still holds that migration's own, fuller record.
            if (recorded is { Id: { } id, Final: { } final } && latest?.Id != id
                && (latest is null || final.StartedAt is { } started && started > latest.StartedAt))
                return ApiResults.Json(QueryMigrateJson.ToJson(id, final));
            if (latest is not null)
                return ApiResults.Json(QueryMigrateJson.ToJson(latest));
            return answers.Any(a => a.Answer is HostProtocol.NoMigration)
                ? ApiResults.Json(new JsonObject())
                : ApiResults.VmMissing(name, cluster.Silent(answers.Select(a => a.Host.Name)));
        });

        api.MapPost("/vms/{name}/migration/cancel", async (string name, ClusterHosts cluster) =>
        {
            // A migration still waiting for a permit lives only in the fleet: withdraw it there first.
            // Best effort: a running migration must still be cancellable while the singleton moves.
            await cluster.TryAskFleet(new FleetProtocol.CancelQueued(name));
            if (await cluster.FindVm(name) is { } found)
                return await cluster.Ask(found.Host, new HostProtocol.MigrateCancel(name)) is CommandResult { Error: { } } error
                    ? ApiResults.Error(error)
                    : ApiResults.Json(new JsonObject());
            // Gone from every host: a cancel after the end changes nothing, as in QEMU.
            var answers = await cluster.AskAll(new HostProtocol.QueryMigrate(name));
            return answers.Any(a => a.Answer is MigrationInfo) ? ApiResults.Json(new JsonObject()) : ApiResults.VmNotFound(name);
        });

        api.MapPost("/vms/{name}/migration/continue", async (string name, ClusterHosts cluster) =>
        {
            var lookup = await cluster.LookupVm(name);
            if (lookup.Found is not { } found)
                return ApiResults.VmMissing(name, lookup.Silent);
            return await cluster.Ask(found.Host, new HostProtocol.MigrateContinue(name)) switch
            {
                CommandResult { Error: null } => ApiResults.Json(new JsonObject()),
                CommandResult error => ApiResults.Error(error with { Kind = error.Kind == ErrorKind.NotFound ? ErrorKind.NotFound : ErrorKind.Conflict }),
                var other => ApiResults.Unexpected(other),
            };
        });

        api.MapPost("/vms/{name}/parameters", async (string name, HttpRequest request, ClusterHosts cluster) =>
        {
            var changes = MigrationInput.Parameters((await RequestBody.Read(request)).Fields);
            var lookup = await cluster.LookupVm(name);
            if (lookup.Found is not { } found)
                return ApiResults.VmMissing(name, lookup.Silent);
            return await cluster.Ask(found.Host, new HostProtocol.SetParameters(name, changes)) switch
            {
                HostProtocol.MigrationSettingsOf settings => ApiResults.Json(ApiJson.Parameters(settings.Parameters)),
                CommandResult error => ApiResults.Error(error),
                var other => ApiResults.Unexpected(other),
            };
        });
    }
}
