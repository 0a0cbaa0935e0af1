namespace Orchestrator.Actors.Wire;

/// <summary>A migration message that crosses nodes; bound once, in configuration, to <see cref="MigrationWireSerializer"/>, never JSON.</summary>
internal interface IMigrationWire;
