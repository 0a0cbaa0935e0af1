namespace Orchestrator.Actors.Migration;

/// <summary>Bad user input to a migration command; the message is the text the user sees (QEMU's where it has one).</summary>
public sealed class MigrationArgumentException(string message) : ArgumentException(message);
