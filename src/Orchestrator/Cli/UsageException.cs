namespace Orchestrator.Cli;

/// <summary>Invalid command-line input: printed on stderr, exit code 2, nothing done.</summary>
public sealed class UsageException(string message) : Exception(message);
