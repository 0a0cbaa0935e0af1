using Orchestrator.Actors.Multifd;

namespace Orchestrator.Actors.Precopy;

/// <summary>
/// Applies one device's chunks in order on the destination, crediting each once applied, so the source's window bounds what waits here too.
/// Chunks come as Akka messages (credited to their sender), or as multifd frames from any channel, put back in order first and credited
/// to the source migration, which hands the credit to the stream.
/// </summary>
internal sealed class DestinationDeviceLoader : ReceiveActor
{
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly MigrationId _migration;
    private readonly IDeviceLoadHandlers _device;
    private readonly TimeSpan _loadDelay;
    private readonly CancellationTokenSource _stopping = new();
    private readonly IActorRef? _multifdCredits;
    private readonly InOrderChunks _frames;
    private long _expectedSeq;

    /// <param name="multifdCredits">With multifd: where credits for frames go (the source migration); null without.</param>
    /// <param name="window">The source stream's window: the most frames that may wait here for an earlier one.</param>
    public DestinationDeviceLoader(MigrationId migration, IDeviceLoadHandlers device, TimeSpan loadDelay, IActorRef? multifdCredits, int window)
    {
        _migration = migration;
        _device = device;
        _loadDelay = loadDelay;
        _multifdCredits = multifdCredits;
        _frames = new InOrderChunks(Math.Max(1, window));
        Loading();
    }

    public static Props Props(MigrationId migration, IDeviceLoadHandlers device, TimeSpan loadDelay, IActorRef? multifdCredits = null, int window = 1) =>
        Akka.Actor.Props.Create(() => new DestinationDeviceLoader(migration, device, loadDelay, multifdCredits, window));

    protected override void PostStop() => _stopping.Cancel();

    private void Loading()
    {
        ReceiveAsync<PrecopyProtocol.Chunk>(async chunk =>
        {
            if (chunk.Migration != _migration || chunk.Device != _device.Name)
            {
                _log.Warning("Chunk for {0}/{1} reached the loader of {2}/{3}; ignored",
                    chunk.Migration, chunk.Device, _migration, _device.Name);
                return;
            }
            if (chunk.Seq != _expectedSeq)
            {
                Refuse($"{_device.Name}: chunk {chunk.Seq} arrived, expected {_expectedSeq}");
                return;
            }
            _expectedSeq++;
            await Load(chunk.Seq, new DeviceChunk(chunk.Payload), Sender);
        });
        ReceiveAsync<MultifdLocal.FrameArrived>(async frame =>
        {
            if (_multifdCredits is null)
            {
                Refuse($"{_device.Name}: a multifd frame arrived, but this migration has multifd off");
                return;
            }
            if (_frames.Add(frame.Seq, frame.Chunk) is { } error)
            {
                Refuse($"{_device.Name}: {error}");
                return;
            }
            while (_frames.TryTake(out var seq, out var payload))
            {
                if (!await Load(seq, payload, _multifdCredits))
                    return;
            }
        });
    }

    /// <summary>Loads one chunk and credits it; false when the load failed or the loader is stopping.</summary>
    private async Task<bool> Load(long seq, DeviceChunk chunk, IActorRef creditTo)
    {
        try
        {
            if (_loadDelay > TimeSpan.Zero)
                await Task.Delay(_loadDelay, _stopping.Token);
            await _device.LoadState(chunk, _stopping.Token);
        }
        catch (DeviceLoadException e)
        {
            Refuse(e.Message);
            return false;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
        finally
        {
            chunk.Release();
        }
        creditTo.Tell(new PrecopyProtocol.ChunkLoaded(_migration, _device.Name, seq), Self);
        if (_device.LoadComplete)
            Context.Parent.Tell(new PrecopyLocal.DeviceLoaded(_device.Name));
        return true;
    }

    private void Refuse(string reason)
    {
        _log.Error("Load of {0} failed: {1}", _device.Name, reason);
        Context.Parent.Tell(new PrecopyLocal.StreamFailed(_device.Name, reason));
        Become(() => ReceiveAny(_ => { }));
    }
}
