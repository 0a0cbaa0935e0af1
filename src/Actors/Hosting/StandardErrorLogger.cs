using Akka.Actor;
using Akka.Dispatch;
using Akka.Event;

namespace Orchestrator.Actors.Hosting;

/// <summary>
/// Akka's log on stderr: stdout belongs to the command's output (the demo's <c>--json</c> promises one
/// JSON object there and nothing else).
/// </summary>
public sealed class StandardErrorLogger : ReceiveActor, IRequiresMessageQueue<ILoggerMessageQueueSemantics>
{
    public StandardErrorLogger()
    {
        Receive<InitializeLogger>(_ => Sender.Tell(new LoggerInitialized()));
        // While this node shuts down, its peers' connections drop as expected; Akka reports each drop
        // as an error, which would only alarm the reader.
        // (The exception type is internal to Akka.Remote, hence the name.)
        Receive<Error>(e => e.Cause?.GetType().Name == "EndpointDisassociatedException" && ShuttingDown, _ => { });
        Receive<LogEvent>(e => Console.Error.WriteLine(e.ToString()));
    }

    private static bool ShuttingDown => CoordinatedShutdown.Get(Context.System).ShutdownReason is not null;
}
