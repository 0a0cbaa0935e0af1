namespace Orchestrator.Actors.Wire;

/// <summary>
/// Logs every migration message this node could not deliver (dead letters). Akka logs only the first 10 in 5 minutes, which a crashed
/// peer's in-flight chunks use up at once, so a control message lost after that (an ack a migration waits for in vain) would leave no
/// trace. Chunks and credits, which a crash drops by the window, are logged once per stream.
/// </summary>
internal sealed class UndeliveredWireLog : ReceiveActor
{
    public const string Name = "undelivered-wire-log";

    private const int MaxStreamsRemembered = 1024;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly HashSet<(MigrationId, DeviceName)> _streamsLogged = [];

    public UndeliveredWireLog()
    {
        Receive<AllDeadLetters>(dead =>
        {
            switch (dead.Message)
            {
                case PrecopyProtocol.Chunk chunk:
                    Stream(chunk.Migration, chunk.Device, $"chunk {chunk.Seq}", dead);
                    break;
                case PrecopyProtocol.ChunkLoaded credit:
                    Stream(credit.Migration, credit.Device, $"credit for chunk {credit.Seq}", dead);
                    break;
                case IMigrationWire message:
                    _log.Warning("Undelivered: {0} from {1} to {2} was dropped", message, dead.Sender.Path, dead.Recipient.Path);
                    break;
            }
        });
    }

    public static Props Props() => Akka.Actor.Props.Create(() => new UndeliveredWireLog());

    protected override void PreStart() => Context.System.EventStream.Subscribe(Self, typeof(AllDeadLetters));

    protected override void PostStop() => Context.System.EventStream.Unsubscribe(Self);

    private void Stream(MigrationId migration, DeviceName device, string what, AllDeadLetters dead)
    {
        if (_streamsLogged.Count >= MaxStreamsRemembered)
            _streamsLogged.Clear();
        if (_streamsLogged.Add((migration, device)))
            _log.Warning("Undelivered: {0} of migration {1}, device {2}, from {3} to {4} was dropped; later ones of this stream are not logged",
                what, migration, device, dead.Sender.Path, dead.Recipient.Path);
    }
}
