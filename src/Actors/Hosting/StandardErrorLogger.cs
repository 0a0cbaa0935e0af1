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
        Receive<LogEvent>(e => Console.Error.WriteLine(e.ToString()));
    }
}
