using Akka.Actor;
using Akka.Event;
using Orchestrator.Actors.Migration;
using Orchestrator.Devices.Contract;

namespace Orchestrator.Actors.Precopy;

/// <summary>Applies one device's chunks in order on the destination, crediting each once applied, so the source's window bounds what waits here too.</summary>
internal sealed class DestinationDeviceLoader : ReceiveActor
{
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly MigrationId _migration;
    private readonly IDeviceLoadHandlers _device;
    private readonly TimeSpan _loadDelay;
    private readonly CancellationTokenSource _stopping = new();
    private long _expectedSeq;

    public DestinationDeviceLoader(MigrationId migration, IDeviceLoadHandlers device, TimeSpan loadDelay)
    {
        _migration = migration;
        _device = device;
        _loadDelay = loadDelay;
        Loading();
    }

    public static Props Props(MigrationId migration, IDeviceLoadHandlers device, TimeSpan loadDelay) =>
        Akka.Actor.Props.Create(() => new DestinationDeviceLoader(migration, device, loadDelay));

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
            var source = Sender;
            try
            {
                if (_loadDelay > TimeSpan.Zero)
                    await Task.Delay(_loadDelay, _stopping.Token);
                await _device.LoadState(new DeviceChunk(chunk.Payload), _stopping.Token);
            }
            catch (DeviceLoadException e)
            {
                Refuse(e.Message);
                return;
            }
            catch (OperationCanceledException)
            {
                return;
            }
            source.Tell(new PrecopyProtocol.ChunkLoaded(_migration, _device.Name, chunk.Seq), Self);
            if (_device.LoadComplete)
                Context.Parent.Tell(new PrecopyLocal.DeviceLoaded(_device.Name));
        });
    }

    private void Refuse(string reason)
    {
        _log.Error("Load of {0} failed: {1}", _device.Name, reason);
        Context.Parent.Tell(new PrecopyLocal.StreamFailed(_device.Name, reason));
        Become(() => ReceiveAny(_ => { }));
    }
}
