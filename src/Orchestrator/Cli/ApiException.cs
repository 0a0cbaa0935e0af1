namespace Orchestrator.Cli;

/// <summary>The API answered 4xx or 5xx: <paramref name="message"/> is its <c>{"error": ...}</c> text. Exit code 1.</summary>
public sealed class ApiException(int status, string message) : Exception(message)
{
    public int Status { get; } = status;
}

/// <summary>No answer from the API at all (nothing listening, unknown host, timeout); the message says what to do. Exit code 1.</summary>
public sealed class ApiUnreachableException(string message, Exception? inner = null) : Exception(message, inner);
