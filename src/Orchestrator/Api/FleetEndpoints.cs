using Orchestrator.Actors.Fleet;

namespace Orchestrator.Api;

/// <summary>The fleet: evacuate, evacuate-cancel, undrain, the migrations list and the permits held.</summary>
public static class FleetEndpoints
{
    public static void Map(IEndpointRouteBuilder api)
    {
        api.MapPost("/hosts/{host}/evacuate", async (string host, ClusterHosts cluster) =>
            await cluster.AskFleet(new FleetProtocol.Evacuate(host)) switch
            {
                FleetProtocol.EvacuationStarted started => ApiResults.Json(new JsonObject
                {
                    ["host"] = started.Host,
                    ["moves"] = ApiJson.Of(started.Moves),
                    ["unplaceable"] = ApiJson.Of(started.Unplaceable),
                }, StatusCodes.Status202Accepted),
                var other => ApiResults.Refusal(other),
            });

        api.MapPost("/hosts/{host}/evacuate-cancel", async (string host, HttpRequest request, ClusterHosts cluster) =>
        {
            var abort = (await RequestBody.ReadOptional(request, "abort-running")).Bool("abort-running") ?? false;
            return ApiResults.Done(await cluster.AskFleet(new FleetProtocol.CancelEvacuation(host, abort)));
        });

        api.MapPost("/rebalance", async (HttpRequest request, ClusterHosts cluster) =>
        {
            var maxMoves = 10;
            if ((await RequestBody.ReadOptional(request, "max-moves")).Text("max-moves") is { } text
                && !int.TryParse(text, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out maxMoves))
                throw new ApiInputException($"Field 'max-moves' must be a whole number, not '{Actors.Host.NameRule.Shown(text)}'");
            if (maxMoves is < 1 or > 1000)
                throw new ApiInputException($"max-moves must be 1 to 1000, not {maxMoves}");
            return await cluster.AskFleet(new FleetProtocol.Rebalance(maxMoves)) switch
            {
                FleetProtocol.RebalanceStarted started => ApiResults.Json(new JsonObject
                {
                    ["moves"] = ApiJson.Of(started.Moves),
                    ["spread-before"] = Math.Round(started.SpreadBefore, 4),
                    ["spread-after"] = Math.Round(started.SpreadAfter, 4),
                    ["bound"] = started.Bound,
                }, StatusCodes.Status202Accepted),
                var other => ApiResults.Refusal(other),
            };
        });

        api.MapPost("/hosts/{host}/undrain", async (string host, ClusterHosts cluster) =>
            ApiResults.Done(await cluster.AskFleet(new FleetProtocol.Undrain(host))));

        api.MapGet("/migrations", async (ClusterHosts cluster) =>
            await cluster.AskFleet(FleetProtocol.ListMigrations.Instance) is FleetProtocol.MigrationList list
                ? ApiResults.Json(new JsonArray(list.Migrations.Select(m => (JsonNode)new JsonObject
                {
                    ["id"] = m.Id.Value,
                    ["vm"] = m.Vm,
                    ["source"] = m.Source,
                    ["destination"] = m.Destination,
                    ["status"] = m.Status.Name(),
                    ["transferred"] = m.Transferred,
                    ["remaining"] = m.Remaining,
                    ["iteration"] = m.Iteration,
                    ["percent"] = m.Percent,
                    ["reason"] = m.Reason,
                    ["kind"] = m.Kind == MigrationPriority.Evacuation ? "evacuation" : "user",
                }).ToArray()))
                : ApiResults.Unavailable("The fleet coordinator"));

        api.MapGet("/fleet/permits", async (ClusterHosts cluster) =>
            await cluster.AskFleet(FleetProtocol.GetPermits.Instance) is FleetProtocol.Permits permits
                ? ApiResults.Json(new JsonObject
                {
                    ["held"] = permits.Held,
                    ["queued"] = permits.Queued,
                    ["limits"] = new JsonObject
                    {
                        ["cluster"] = permits.Limits.PerCluster,
                        ["outbound"] = permits.Limits.OutboundPerHost,
                        ["inbound"] = permits.Limits.InboundPerHost,
                    },
                    ["outbound"] = Counts(permits.Outbound),
                    ["inbound"] = Counts(permits.Inbound),
                    ["coordinator"] = permits.Coordinator,
                })
                : ApiResults.Unavailable("The fleet coordinator"));
    }

    private static JsonObject Counts(IReadOnlyDictionary<string, int> counts) =>
        new(counts.OrderBy(c => c.Key, StringComparer.Ordinal).Select(c => KeyValuePair.Create(c.Key, (JsonNode?)c.Value)));
}
