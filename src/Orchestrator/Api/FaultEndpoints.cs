using Orchestrator.Actors.Faults;
using Orchestrator.Node;

namespace Orchestrator.Api;

/// <summary><c>/faults</c>: TEST-ONLY fault injection for drills, mapped only with <c>ORCHESTRATOR__FAULTS__ENABLED=true</c> (else a 404).</summary>
public static class FaultEndpoints
{
    public static void Map(IEndpointRouteBuilder api)
    {
        // On the migration's source node: when the VM's migration reaches the phase here, the host dies (SIGKILL).
        api.MapPost("/faults/kill-at", async (HttpRequest request, ClusterHosts cluster, NodeSettings settings, ActorRegistry registry, ActorSystem system) =>
        {
            var body = await RequestBody.Read(request, "vm", "phase", "host");
            var vm = body.Required("vm");
            var phaseName = body.Required("phase");
            if (!MigrationPhaseNames.ByName.TryGetValue(phaseName, out var phase))
                throw new ApiInputException($"Field 'phase' must be one of {string.Join(", ", MigrationPhaseNames.ByName.Keys)}, not '{NameRule.Shown(phaseName)}'");
            var host = body.Required("host");
            var victim = host == settings.Name
                ? Akka.Cluster.Cluster.Get(system).SelfAddress
                : cluster.Host(host)?.Address;
            if (victim is null)
                return ApiResults.HostNotFound(host);
            return await registry.Get<FaultsKey>().Ask<object>(new FaultsProtocol.KillAt(vm, phase, victim), ClusterHosts.AskTimeout) switch
            {
                FaultsProtocol.Armed armed => ApiResults.Json(new JsonObject
                {
                    ["vm"] = armed.Vm,
                    ["phase"] = phaseName,
                    ["host"] = host,
                    ["address"] = armed.Victim.ToString(),
                }),
                var other => ApiResults.Unexpected(other),
            };
        });

        // On any node: the VM's next incoming copy here gets one bit flipped, as a corrupted chunk would.
        api.MapPost("/faults/corrupt", async (HttpRequest request, ActorRegistry registry) =>
        {
            var body = await RequestBody.Read(request, "vm");
            var vm = body.Required("vm");
            return await registry.Get<FaultsKey>().Ask<object>(new FaultsProtocol.CorruptNextIncoming(vm), ClusterHosts.AskTimeout) switch
            {
                FaultsProtocol.CorruptionArmed => ApiResults.Json(new JsonObject { ["vm"] = vm }),
                var other => ApiResults.Unexpected(other),
            };
        });

        // The phases this node's source migrations reached, with when (UTC): a drill's report shows them.
        api.MapGet("/faults/phases", async (ActorRegistry registry) =>
        {
            var phases = await registry.Get<FaultsKey>().Ask<FaultsProtocol.Phases>(FaultsProtocol.GetPhases.Instance, ClusterHosts.AskTimeout);
            return ApiResults.Json(new JsonArray(phases.Seen.Select(p => (JsonNode)new JsonObject
            {
                ["migration"] = p.Migration.Value,
                ["vm"] = p.Vm,
                ["phase"] = p.Phase.Name(),
                ["destination"] = p.Destination.ToString(),
                ["at"] = p.At.ToString("O"),
            }).ToArray()));
        });
    }
}
