namespace Orchestrator.Actors.Wire;

/// <summary>
/// Marks a message that crosses the network between nodes. The binding to
/// <see cref="MigrationWireSerializer"/> is made once, in configuration, so no migration message ever
/// falls back to the JSON serializer.
/// </summary>
internal interface IMigrationWire;
