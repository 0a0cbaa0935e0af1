using Akka.Actor;
using Akka.Annotations;
using Orchestrator.Actors.Migration;
using Orchestrator.Actors.Wire;

namespace Orchestrator.Actors.Faults;

/// <summary>
/// INTERNAL API: for this project's executable and drills; it may change without notice.
/// Fault injection for drills across processes (<c>orchestrator drill --netns</c>). TEST-ONLY: a node
/// spawns <see cref="FaultInjector"/> only when started with <c>ORCHESTRATOR__FAULTS__ENABLED=true</c>,
/// and a node without it never obeys <see cref="Die"/> (the message has no one to go to).
/// </summary>
[InternalApi]
public static class FaultsProtocol
{
    /// <summary>The injector's name under <c>/user</c> on every node that has faults enabled.</summary>
    public const string Name = "faults";

    public static ActorPath PathOn(Address node) => new RootActorPath(node) / "user" / Name;

    /// <summary>
    /// Local, from the API of the migration's source node: a one-shot; when <paramref name="Vm"/>'s
    /// migration reaches <paramref name="Phase"/> on this node, the node at <paramref name="Victim"/>
    /// dies at once (this node itself when it is the victim). Answered <see cref="Armed"/>.
    /// </summary>
    public sealed record KillAt(string Vm, MigrationPhase Phase, Address Victim);

    public sealed record Armed(string Vm, MigrationPhase Phase, Address Victim);

    /// <summary>Local, from the API of any node: the VM's next incoming copy here is corrupted (<see cref="IncomingCorruption"/>). Answered <see cref="CorruptionArmed"/>.</summary>
    public sealed record CorruptNextIncoming(string Vm);

    public sealed record CorruptionArmed(string Vm);

    /// <summary>Local: the phases this node's source migrations reached (the latest 1000), for a drill's report. Answered <see cref="Phases"/>.</summary>
    public sealed record GetPhases { public static readonly GetPhases Instance = new(); }

    public sealed record PhaseSeen(MigrationId Migration, string Vm, MigrationPhase Phase, Address Destination, DateTimeOffset At);

    public sealed record Phases(IReadOnlyList<PhaseSeen> Seen);

    /// <summary>Node to node: SIGKILL yourself now (a crash, not a shutdown).</summary>
    public sealed record Die(string Reason) : IHostWire;

    /// <summary>
    /// What a node obeying <see cref="Die"/> writes to its standard error, synchronously, just before it
    /// dies: a drill reading the log of a node that is gone tells this death from any other.
    /// </summary>
    public const string DyingLine = "Fault: dying now";
}
