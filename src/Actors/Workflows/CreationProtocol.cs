using Akka.Annotations;
using Orchestrator.Actors.Host;
using Orchestrator.Actors.Migration;
using Orchestrator.Devices.Machine;

namespace Orchestrator.Actors.Workflows;

/// <summary>
/// INTERNAL API: for this project's executable and drills; it may change without notice.
/// Creating a VM in the cluster: every engine (the HTTP API, in-process drills, tests) sends this to
/// its node's VM host, which runs one <see cref="VmCreation"/> for it.
/// </summary>
[InternalApi]
public static class CreationProtocol
{
    /// <summary>
    /// Create <paramref name="Spec"/> on <paramref name="Host"/>. Answered with <see cref="Created"/>, or a
    /// <see cref="CommandResult"/>: invalid name, host not found, the name in use (conflict), or the ledger
    /// unavailable (<see cref="ErrorKind.Unavailable"/>).
    /// </summary>
    public sealed record Create(VmSpec Spec, string Host);

    /// <summary>The VM runs on <paramref name="Host"/>, at the epoch the ownership ledger gave it.</summary>
    public sealed record Created(string Host, HostProtocol.VmSummary Vm);

    /// <summary>The longest a create can take: each of its asks is bounded, the ledger's the longest.</summary>
    public static readonly TimeSpan Bound = VmCreation.LedgerTimeout * 2 + VmCreation.HostTimeout * 3;
}
