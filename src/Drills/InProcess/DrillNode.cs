using Orchestrator.Actors.Wiring;

namespace Orchestrator.Drills.InProcess;

/// <summary>One host of the in-process cluster: a node wired as production wires it, and its proxies.</summary>
internal sealed class DrillNode(string name, MigrationNode node)
{
    private int _fate = (int)NodeFate.Alive;

    public string Name { get; } = name;

    public MigrationNode Node { get; } = node;

    public ActorSystem System => Node.System;

    /// <summary>The VM host's local reference: invariant checks read it without crossing any link.</summary>
    public IActorRef Host { get; } = node.Host;

    public IActorRef Fleet { get; } = node.Registry.Get<FleetKey>();

    public IActorRef Ledger { get; } = node.Registry.Get<OwnershipKey>();

    /// <summary>The node's fault injector: a drill's corrupt step arms it.</summary>
    public IActorRef Faults { get; } = node.Registry.Get<FaultsKey>();

    public Address Address => Node.Address;

    public NodeFate Fate => (NodeFate)Volatile.Read(ref _fate);

    public bool Alive => Fate == NodeFate.Alive;

    /// <summary>Marks the node's end once; false when it had ended already.</summary>
    public bool End(NodeFate fate) => Interlocked.CompareExchange(ref _fate, (int)fate, (int)NodeFate.Alive) == (int)NodeFate.Alive;
}
