namespace Orchestrator.Api;

/// <summary><c>/hosts</c>: cluster members and their destination capabilities.</summary>
public static class HostEndpoints
{
    public static void Map(IEndpointRouteBuilder api)
    {
        api.MapGet("/hosts", async (ClusterHosts cluster) =>
        {
            var statuses = (await cluster.AskAll(HostProtocol.GetStatus.Instance))
                .Where(a => a.Answer is HostProtocol.HostStatus)
                .ToDictionary(a => a.Host.Name, a => (HostProtocol.HostStatus)a.Answer);
            var hosts = cluster.Members().Select(m =>
            {
                var status = statuses.GetValueOrDefault(m.Name);
                return (JsonNode)new JsonObject
                {
                    ["name"] = m.Name,
                    ["address"] = m.Address.ToString(),
                    // As kubectl's Ready,SchedulingDisabled: a host an evacuation drained is up and takes no new VM.
                    ["status"] = status?.Draining == true ? $"{m.Status},draining" : m.Status,
                    ["draining"] = status?.Draining,
                    ["capacity"] = status?.Capacity,
                    ["used"] = status?.Used,
                    ["vms"] = status?.Vms,
                };
            });
            return ApiResults.Json(new JsonArray(hosts.ToArray()));
        });

        // One host's own view, asking that host only: a drill reads host K through host K's API, across a partition.
        api.MapGet("/hosts/{host}/vms", async (string host, ClusterHosts cluster) =>
            await cluster.AskOnly(host, HostProtocol.ListVms.Instance) switch
            {
                null => ApiResults.HostNotFound(host),
                HostProtocol.VmList list => ApiResults.Json(new JsonObject
                {
                    ["host"] = host,
                    ["vms"] = new JsonArray(list.Vms.Select(vm => (JsonNode)ApiJson.Vm(host, vm)).ToArray()),
                    ["incoming"] = ApiJson.Of(list.Incoming),
                }),
                var other => ApiResults.Unexpected(other),
            });

        // query-migrate on one host only (the source keeps its latest migration's record): {} when it has none.
        api.MapGet("/hosts/{host}/vms/{name}/migration", async (string host, string name, ClusterHosts cluster) =>
            await cluster.AskOnly(host, new HostProtocol.QueryMigrate(name)) switch
            {
                null => ApiResults.HostNotFound(host),
                MigrationInfo info => ApiResults.Json(Output.QueryMigrateJson.ToJson(info)),
                HostProtocol.NoMigration => ApiResults.Json(new JsonObject()),
                var other => ApiResults.Refusal(other),
            });

        api.MapPost("/hosts/{host}/capabilities", async (string host, HttpRequest request, ClusterHosts cluster) =>
        {
            var changes = MigrationInput.CapabilityChanges((await RequestBody.Read(request)).Fields);
            if (cluster.Host(host) is not { } member)
                return ApiResults.HostNotFound(host);
            return await cluster.Ask(member, new HostProtocol.ChangeIncomingCapabilities(changes)) switch
            {
                HostProtocol.IncomingCapabilitiesOf caps => ApiResults.Json(ApiJson.Capabilities(caps.Capabilities)),
                var other => ApiResults.Refusal(other),
            };
        });

        // QEMU's migrate-set-parameters on a destination: multifd-channels must match the source's.
        api.MapPost("/hosts/{host}/parameters", async (string host, HttpRequest request, ClusterHosts cluster) =>
        {
            var changes = MigrationInput.Parameters((await RequestBody.Read(request)).Fields);
            if (cluster.Host(host) is not { } member)
                return ApiResults.HostNotFound(host);
            return await cluster.Ask(member, new HostProtocol.ChangeIncomingParameters(changes)) switch
            {
                HostProtocol.IncomingParametersOf of => ApiResults.Json(ApiJson.Parameters(of.Parameters)),
                var other => ApiResults.Refusal(other),
            };
        });
    }
}
