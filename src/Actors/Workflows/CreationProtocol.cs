namespace Orchestrator.Actors.Workflows;

/// <summary>
/// INTERNAL API: for this project's executable and drills; it may change without notice.
/// Creating a VM in the cluster: every engine (HTTP API, drills, tests) asks its node's VM host, which runs a <see cref="VmCreation"/>.
/// </summary>
[InternalApi]
public static class CreationProtocol
{
    /// <summary>Create <paramref name="Spec"/> on <paramref name="Host"/>: answered with <see cref="Created"/> or a <see cref="CommandResult"/>.</summary>
    /// <remarks>Errors: invalid name, host not found, name in use (conflict), ledger unavailable (<see cref="ErrorKind.Unavailable"/>).</remarks>
    public sealed record Create(VmSpec Spec, string Host);

    /// <summary>The VM runs on <paramref name="Host"/>, at the epoch the ownership ledger gave it.</summary>
    public sealed record Created(string Host, HostProtocol.VmSummary Vm);

    /// <summary>The longest a create of <paramref name="spec"/> can take: each of its asks is bounded, the host's by the VM's size.</summary>
    public static TimeSpan BoundFor(VmSpec spec) => VmCreation.LedgerTimeout * 2 + VmCreation.HostTimeout * 2 + VmCreation.CreateTimeout(spec);
}
