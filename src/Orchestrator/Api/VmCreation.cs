using Akka.Actor;
using Akka.Hosting;
using Orchestrator.Actors.Host;
using Orchestrator.Actors.Migration;
using Orchestrator.Devices.Machine;
using static Orchestrator.Actors.Fencing.OwnershipProtocol;

namespace Orchestrator.Api;

/// <summary>
/// Creating a VM through the API. Names are unique in the whole cluster, and two creates of one name
/// on two hosts must not both pass the check: the ownership ledger holds the name while it is checked
/// and records the new VM at an epoch above every epoch of that name, so a VM deleted and created again
/// migrates like any other (its old commits are below it) and no stale copy can commit over it.
/// </summary>
public sealed class VmCreation(ClusterHosts cluster, ActorRegistry registry)
{
    /// <summary>The ledger is a singleton that may be starting or moving: as long as the fleet gets.</summary>
    private static readonly TimeSpan LedgerTimeout = ClusterHosts.FleetTimeout;

    public async Task<IResult> Create(VmSpec spec, HostMember host)
    {
        var name = spec.Name;
        if (VmName.Problem(name) is { } badName)
            return ApiResults.Error(StatusCodes.Status400BadRequest, badName);
        var ledger = registry.Get<Node.OwnershipKey>();
        var reserved = await AskLedger(ledger, new ReserveName(name));
        if (reserved is not NameReserved { Token: var token })
            return Refusal(name, reserved);
        try
        {
            foreach (var (other, list) in await cluster.VmLists())
            {
                if (list.Vms.Any(v => v.Name == name) || list.Incoming.Contains(name))
                    return ApiResults.Error(StatusCodes.Status409Conflict, $"VM '{name}' already exists on host {other.Name}");
            }
            var claimed = await AskLedger(ledger, new ClaimName(name, token, host.Address.ToString()));
            if (claimed is not NameClaimed { Epoch: var epoch })
                return Refusal(name, claimed);
            return await cluster.Ask(host, new HostProtocol.CreateVm(spec, epoch)) switch
            {
                CommandResult { Error: null } => await cluster.FindVm(name) is { } created
                    ? ApiResults.Json(ApiJson.Vm(created.Host.Name, created.Vm), StatusCodes.Status201Created)
                    : ApiResults.Unavailable($"Host {host.Name}"),
                CommandResult error => ApiResults.Error(error),
                var other => ApiResults.Unexpected(other),
            };
        }
        finally
        {
            ledger.Tell(new ReleaseName(name, token));
        }
    }

    /// <summary>The ledger's answer, or null when it did not answer in time.</summary>
    private static async Task<object?> AskLedger(IActorRef ledger, object message)
    {
        try
        {
            return await ledger.Ask<object>(message, LedgerTimeout);
        }
        catch (AskTimeoutException)
        {
            return null;
        }
    }

    private static IResult Refusal(string name, object? answer) => answer switch
    {
        NameRefused refused => ApiResults.Error(StatusCodes.Status409Conflict, $"VM '{name}' was not created: {refused.Reason}"),
        null => ApiResults.Error(StatusCodes.Status503ServiceUnavailable,
            $"VM '{name}' was not created: the ownership ledger (a cluster singleton) did not answer within {LedgerTimeout.TotalSeconds:0} s; try again when the cluster has settled"),
        _ => ApiResults.Unexpected(answer),
    };
}
