namespace Orchestrator.Actors.Wire;

/// <summary>
/// Marks a control-plane message that crosses nodes: commands to a VM host and their answers.
/// Bound to <see cref="HostWireSerializer"/>, which only ever builds the types it lists.
/// </summary>
public interface IHostWire;
