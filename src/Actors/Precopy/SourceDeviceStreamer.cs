namespace Orchestrator.Actors.Precopy;

/// <summary>
/// Streams one device's data to its destination loader: at most <c>Window</c> chunks unacknowledged, so a slow destination or fast-dirtying
/// guest cannot grow memory on either side; fewer while they queue (<see cref="SendWindow"/>), so control messages don't wait behind data.
/// </summary>
internal sealed class SourceDeviceStreamer : ReceiveActor, IWithTimers
{
    private sealed record StallCheck { public static readonly StallCheck Instance = new(); }

    private const string RateTimer = "rate";
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly MigrationId _migration;
    private readonly IDeviceSaveHandlers _device;
    private readonly IChunkRoute _route;
    private readonly BandwidthLimiter _limiter;
    private readonly PrecopyProtocol.Settings _settings;
    private readonly StreamCounters _counters;
    private readonly TimeProvider _time;
    private readonly long _start;
    private long _progressAt; // ticks since _start of the last credit, or of the first chunk out after none were in flight
    private readonly SendWindow _window;
    private long _nextSeq;
    private long _acked;
    private bool _producedAll;

    public SourceDeviceStreamer(
        MigrationId migration, IDeviceSaveHandlers device, IActorRef loader, BandwidthLimiter limiter,
        PrecopyProtocol.Settings settings, StreamCounters counters, TimeProvider? time = null, IChunkRoute? route = null)
    {
        _time = time ?? TimeProvider.System;
        _start = _time.GetTimestamp();
        _migration = migration;
        _device = device;
        _route = route ?? new RemoteChunkRoute(migration, device.Name, loader);
        _limiter = limiter;
        _settings = settings;
        _counters = counters;
        _window = new SendWindow(settings.Window, settings.MinWindow, settings.QueueDelay);
        Precopy();
    }

    public ITimerScheduler Timers { get; set; } = null!;

    /// <param name="route">Where chunks go: straight to <paramref name="loader"/> over Akka.Remote when null, else multifd channels.</param>
    public static Props Props(
        MigrationId migration, IDeviceSaveHandlers device, IActorRef loader, BandwidthLimiter limiter,
        PrecopyProtocol.Settings settings, StreamCounters counters, TimeProvider? time = null, IChunkRoute? route = null) =>
        Akka.Actor.Props.Create(() => new SourceDeviceStreamer(migration, device, loader, limiter, settings, counters, time, route));

    private long Ticks => _time.GetElapsedTime(_start).Ticks;

    private int InFlight => (int)(_nextSeq - _acked);

    protected override void PreStart()
    {
        if (!_route.WatchesStalls)
            Timers.StartPeriodicTimer("stall", StallCheck.Instance, TimeSpan.FromSeconds(1));
        Self.Tell(PrecopyLocal.Pump.Instance);
    }

    private void Precopy()
    {
        Receive<PrecopyLocal.Pump>(_ => SendPrecopy());
        Receive<PrecopyProtocol.ChunkLoaded>(credit =>
        {
            if (Credit(credit))
                SendPrecopy();
        });
        Receive<PrecopyLocal.EnterStopCopy>(_ =>
        {
            Timers.Cancel(RateTimer);
            Become(StopCopy);
            SendStopCopy();
        });
        Receive<StallCheck>(_ => CheckStall());
    }

    private void StopCopy()
    {
        Receive<PrecopyLocal.Pump>(_ => SendStopCopy());
        Receive<PrecopyProtocol.ChunkLoaded>(credit =>
        {
            if (Credit(credit))
                SendStopCopy();
        });
        Receive<StallCheck>(_ => CheckStall());
    }

    private void Drained()
    {
        Receive<PrecopyLocal.Pump>(_ => { });
        Receive<StallCheck>(_ => { });
        Receive<PrecopyProtocol.ChunkLoaded>(credit => _log.Warning("Credit {0} for {1} after the stream drained; ignored", credit.Seq, _device.Name));
    }

    private void SendPrecopy()
    {
        while (InFlight < _window.Size)
        {
            if (!_limiter.MaySend(out var retryIn))
            {
                Timers.StartSingleTimer(RateTimer, PrecopyLocal.Pump.Instance, retryIn);
                return;
            }
            if (!_route.TryReserve(Self, out var lane))
                return; // every channel is full: pumped when one frees
            var chunk = Produce(() => _device.SaveIterate(_settings.ChunkBytes));
            if (chunk is null)
            {
                _route.Unreserve(lane);
                return; // nothing dirty now; the migration loop pumps again after its next sync
            }
            Send(lane, chunk, vmStopped: false);
            _limiter.Consume(chunk.Length);
        }
    }

    private void SendStopCopy()
    {
        // The VM is stopped: no rate limit, as QEMU lifts it for the completion phase.
        while (!_producedAll && InFlight < _window.Size && _route.TryReserve(Self, out var lane))
        {
            var chunk = Produce(() => _device.SaveCompleteNext(_settings.ChunkBytes));
            if (chunk is null)
            {
                _route.Unreserve(lane);
                _producedAll = true;
            }
            else
                Send(lane, chunk, vmStopped: true);
        }
        if (_producedAll && InFlight == 0)
        {
            Context.Parent.Tell(new PrecopyLocal.StreamDrained(_device.Name));
            Become(Drained);
        }
    }

    private DeviceChunk? Produce(Func<DeviceChunk?> produce)
    {
        try
        {
            return produce();
        }
        catch (Exception e)
        {
            Fail($"{_device.Name}: saving state failed: {e.Message}");
            return null;
        }
    }

    private void Send(int lane, DeviceChunk chunk, bool vmStopped)
    {
        var now = Ticks;
        if (InFlight == 0)
            _progressAt = now;
        _window.Sent(_nextSeq, now);
        _route.Send(lane, _nextSeq++, chunk, Self);
        _counters.Sent(chunk.Length, vmStopped, InFlight);
    }

    /// <summary>Credit must come in order, once per chunk sent; anything else is not trusted.</summary>
    private bool Credit(PrecopyProtocol.ChunkLoaded credit)
    {
        if (credit.Migration != _migration || credit.Device != _device.Name)
        {
            _log.Warning("Credit for {0}/{1} reached the stream of {2}/{3}; ignored",
                credit.Migration, credit.Device, _migration, _device.Name);
            return false;
        }
        if (credit.Seq != _acked || credit.Seq >= _nextSeq)
        {
            Fail($"{_device.Name}: destination acknowledged chunk {credit.Seq}, expected {_acked}");
            return false;
        }
        var now = Ticks;
        _route.Loaded(credit.Seq);
        _window.Acked(credit.Seq, now);
        _acked++;
        _progressAt = now;
        return true;
    }

    private void CheckStall()
    {
        if (InFlight > 0 && Ticks - _progressAt > _settings.Stall.Ticks)
            Fail($"{_device.Name}: no progress from the destination for {_settings.Stall.TotalSeconds:0} s with {InFlight} chunks in flight");
    }

    private void Fail(string reason)
    {
        Context.Parent.Tell(new PrecopyLocal.StreamFailed(_device.Name, reason));
        _producedAll = true;
        Become(Drained);
    }
}
