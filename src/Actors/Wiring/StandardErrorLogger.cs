using Akka.Dispatch;

namespace Orchestrator.Actors.Wiring;

/// <summary>Akka's log on stderr: stdout is the command's output (the demo's <c>--json</c>: one JSON object, nothing else).</summary>
internal sealed class StandardErrorLogger : ReceiveActor, IRequiresMessageQueue<ILoggerMessageQueueSemantics>
{
    public StandardErrorLogger()
    {
        Receive<InitializeLogger>(_ => Sender.Tell(new LoggerInitialized()));
        // While shutting down, peers' connections drop as expected; remoting's warning or error for each would only alarm the reader.
        Receive<LogEvent>(e => e.LogLevel() >= LogLevel.WarningLevel && FromRemoting(e) && ShuttingDown, _ => { });
        Receive<LogEvent>(e => Console.Error.WriteLine(e.ToString()));
    }

    private static bool FromRemoting(LogEvent e) =>
        e.LogSource.Contains("endpointManager", StringComparison.Ordinal) || e.LogSource.StartsWith("remoting", StringComparison.Ordinal);

    private static bool ShuttingDown => CoordinatedShutdown.Get(Context.System).ShutdownReason is not null;
}
