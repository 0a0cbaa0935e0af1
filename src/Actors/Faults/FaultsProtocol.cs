namespace Orchestrator.Actors.Faults;

/// <summary>
/// INTERNAL API: for this project's executable and drills; it may change without notice.
/// TEST-ONLY fault injection for drills across processes (<c>orchestrator drill --netns</c>): only a node started with
/// <c>ORCHESTRATOR__FAULTS__ENABLED=true</c> spawns <see cref="FaultInjector"/>; one without it never obeys <see cref="Die"/>.
/// </summary>
[InternalApi]
public static class FaultsProtocol
{
    /// <summary>The injector's name under <c>/user</c> on every node that has faults enabled.</summary>
    public const string Name = "faults";

    public static ActorPath PathOn(Address node) => new RootActorPath(node) / "user" / Name;

    /// <summary>
    /// Local, on the source node: one-shot; when <paramref name="Vm"/>'s migration reaches <paramref name="Phase"/> here, the node at
    /// <paramref name="Victim"/> (this one, possibly) dies at once. Answered <see cref="Armed"/>.
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

    /// <summary>Written synchronously to stderr just before obeying <see cref="Die"/>, so a drill tells this death from any other in the log.</summary>
    public const string DyingLine = "Fault: dying now";
}
