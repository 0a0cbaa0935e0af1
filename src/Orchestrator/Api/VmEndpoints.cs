using Orchestrator.Actors.Fencing;
using Orchestrator.Actors.Workflows;
using Orchestrator.Demo;
using Orchestrator.Devices.Machine;
using Orchestrator.Devices.Ram;

namespace Orchestrator.Api;

/// <summary><c>/vms</c>: create, list, show and delete VMs anywhere in the cluster.</summary>
public static class VmEndpoints
{
    public static void Map(IEndpointRouteBuilder api)
    {
        api.MapGet("/vms", async (ClusterHosts cluster) =>
        {
            var vms = (await cluster.VmLists())
                .SelectMany(l => l.List.Vms.Select(vm => ApiJson.Vm(l.Host.Name, vm)))
                .OrderBy(vm => (string?)vm["name"], StringComparer.Ordinal);
            return ApiResults.Json(new JsonArray(vms.Cast<JsonNode>().ToArray()));
        });

        api.MapGet("/vms/{name}", async (string name, ClusterHosts cluster) =>
        {
            var lookup = await cluster.LookupVm(name);
            if (lookup.Found is not { } found)
                return ApiResults.VmMissing(name, lookup.Silent);
            // The standing settings the VM's next migration starts from (a migrate may carry its own, for itself only).
            var vm = ApiJson.Vm(found.Host.Name, found.Vm);
            if (await cluster.Ask(found.Host, new HostProtocol.GetMigrationSettings(name)) is HostProtocol.MigrationSettingsOf settings)
                vm["migration-settings"] = new JsonObject
                {
                    ["capabilities"] = ApiJson.Capabilities(settings.Capabilities),
                    ["parameters"] = ApiJson.Parameters(settings.Parameters),
                };
            return ApiResults.Json(vm);
        });

        // Fencing: the ownership ledger's record (docs/cluster.md); owner null when no migration of it ever committed.
        api.MapGet("/vms/{name}/owner", async (string name, ActorRegistry registry) =>
            await registry.Get<OwnershipKey>().Ask<object>(new OwnershipProtocol.GetOwner(name), ClusterHosts.AskTimeout) switch
            {
                OwnershipProtocol.OwnerOf owner => ApiResults.Json(ApiJson.Of(owner)),
                var other => ApiResults.Unexpected(other),
            });

        api.MapPost("/vms", async (HttpRequest request, ActorRegistry registry) =>
        {
            var body = await RequestBody.Read(request, CreateFields);
            var name = body.Required("name");
            var hostName = body.Required("host");
            if (HostName.Problem(hostName) is { } badHost)
                throw new ApiInputException(badHost);
            if (VmName.Problem(name) is { } badName)
                throw new ApiInputException(badName);
            var create = new CreationProtocol.Create(Spec(name, body), hostName);
            return await registry.Get<VmHostKey>().Ask<object>(create, CreationProtocol.BoundFor(create.Spec)) switch
            {
                CreationProtocol.Created created => ApiResults.Json(ApiJson.Vm(created.Host, created.Vm), StatusCodes.Status201Created),
                CommandResult { Kind: ErrorKind.NotFound } => ApiResults.HostNotFound(hostName),
                var other => ApiResults.Refusal(other),
            };
        });

        api.MapPost("/vms/{name}/resume", (string name, ClusterHosts cluster) =>
            cluster.OnVmHost(name, new HostProtocol.ResumeVm(name), ApiResults.Done));

        api.MapDelete("/vms/{name}", (string name, ClusterHosts cluster) =>
            cluster.OnVmHost(name, new HostProtocol.DeleteVm(name), answer => answer is CommandResult { Error: null } ? Results.NoContent() : ApiResults.Refusal(answer)));
    }

    private static readonly string[] CreateFields = ["name", "host", "ram", "vfio", "vfio-alloc", "vgpu", "dirty-rate"];

    /// <summary>The demo's VM, with the demo's defaults; a size of 0 leaves a device out.</summary>
    private static VmSpec Spec(string name, RequestBody body)
    {
        var d = DemoOptions.Default;
        var ram = body.Size("ram", d.Ram);
        if (RamSize.Problem(ram, "Field 'ram'") is { } badRam)
            throw new ApiInputException(badRam);
        var vfio = body.Size("vfio", d.Vfio);
        var vgpu = body.Size("vgpu", d.Vgpu);
        var alloc = body.Duration("vfio-alloc", d.VfioAllocation);
        return (d with { Ram = ram, Vfio = vfio, Vgpu = vgpu, VfioAllocation = alloc, DirtyRate = body.Rate("dirty-rate", d.DirtyRate) }).VmSpec(name);
    }
}
