using Akka.Actor;
using Orchestrator.Actors.Faults;

namespace Orchestrator.Drills.InProcess;

/// <summary>What became of a node during a drill.</summary>
public enum NodeFate
{
    Alive,

    /// <summary>The scenario killed it: its VMs went down with it.</summary>
    Killed,

    /// <summary>Its ActorSystem ended without the scenario asking (e.g. the cluster downed it).</summary>
    Died,
}

/// <summary>One host of the in-process cluster: its ActorSystem, its VM host and its proxy to the fleet.</summary>
internal sealed class DrillNode(string name, ActorSystem system, IActorRef host, IActorRef fleet, IncomingCorruption corruption)
{
    private int _fate = (int)NodeFate.Alive;

    public string Name { get; } = name;
    public ActorSystem System { get; } = system;

    /// <summary>The VM host's local reference: invariant checks read it without crossing any link.</summary>
    public IActorRef Host { get; } = host;

    public IActorRef Fleet { get; } = fleet;

    /// <summary>What its host decorates incoming loads with: a drill's corrupt step arms it.</summary>
    public IncomingCorruption Corruption { get; } = corruption;

    public Address Address { get; } = ((ExtendedActorSystem)system).Provider.DefaultAddress;

    public NodeFate Fate => (NodeFate)Volatile.Read(ref _fate);

    public bool Alive => Fate == NodeFate.Alive;

    /// <summary>Marks the node's end once; false when it had ended already.</summary>
    public bool End(NodeFate fate) => Interlocked.CompareExchange(ref _fate, (int)fate, (int)NodeFate.Alive) == (int)NodeFate.Alive;
}
