namespace Orchestrator.Actors.Wire;

/// <summary>A control-plane message that crosses nodes; bound to <see cref="HostWireSerializer"/>, which builds only the types it lists.</summary>
public interface IHostWire;
