using System.Net.Sockets;

namespace Orchestrator.Actors.Multifd;

/// <summary>
/// The source's channels of one migration: connects each (bounded by the setup timeout), sends its token, runs its writer, and reports the
/// first channel that cannot connect, breaks, is closed by the destination or stalls (chunks out, no credit back) to the parent, named.
/// Frames queue in <see cref="MultifdChannels"/> meanwhile, so the streams start at once. Stopping it closes every channel.
/// </summary>
internal sealed class MultifdSender : ReceiveActor, IWithTimers
{
    public const string Name = "multifd";

    private sealed record Connected(int Channel, Stream Stream);

    private sealed class StallCheck { public static readonly StallCheck Instance = new(); }

    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly MultifdChannels _channels;
    private readonly MultifdProtocol.Endpoint _endpoint;
    private readonly TimeSpan _connectTimeout;
    private readonly TimeSpan _stall;
    private readonly Func<int, Stream, Stream>? _wrap;
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<Stream> _streams = [];
    private bool _broken;

    public MultifdSender(MultifdChannels channels, MultifdProtocol.Endpoint endpoint, TimeSpan connectTimeout, TimeSpan stall, Func<int, Stream, Stream>? wrap)
    {
        _channels = channels;
        _endpoint = endpoint;
        _connectTimeout = connectTimeout;
        _stall = stall;
        _wrap = wrap;
        Receive<Connected>(connected =>
        {
            _streams.Add(connected.Stream);
            var channel = connected.Channel;
            _channels[channel].Run(connected.Stream, _endpoint.Token, _stopping.Token)
                .PipeTo(Self, failure: e => new MultifdLocal.Broken(MultifdLocal.Channel(channel, e is OperationCanceledException ? "cancelled" : e.Message),
                    ByPeer: e.Message == MultifdSendChannel.ClosedByPeer));
        });
        Receive<StallCheck>(_ =>
        {
            if (_channels.Stalled(_stall) is { } stalled)
                Report(new MultifdLocal.Broken(MultifdLocal.Channel(stalled.Channel,
                    $"no progress from the destination for {_stall.TotalSeconds:0} s with {stalled.InFlight} chunks in flight")));
        });
        Receive<MultifdLocal.Broken>(Report);
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(MultifdChannels channels, MultifdProtocol.Endpoint endpoint, TimeSpan connectTimeout, TimeSpan stall, Func<int, Stream, Stream>? wrap) =>
        Akka.Actor.Props.Create(() => new MultifdSender(channels, endpoint, connectTimeout, stall, wrap));

    protected override void PreStart()
    {
        for (var i = 0; i < _channels.Count; i++)
        {
            var channel = i;
            Connect(channel).PipeTo(Self, success: stream => new Connected(channel, stream),
                failure: e => new MultifdLocal.Broken(MultifdLocal.Channel(channel, $"could not connect to {_endpoint.Host}:{_endpoint.Port}: {e.Message}")));
        }
        Timers.StartPeriodicTimer(StallCheck.Instance, StallCheck.Instance, TimeSpan.FromSeconds(1));
    }

    protected override void PostStop()
    {
        _stopping.Cancel();
        foreach (var stream in _streams)
            stream.Dispose();
    }

    private async Task<Stream> Connect(int channel)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
        deadline.CancelAfter(_connectTimeout);
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(_endpoint.Host, _endpoint.Port, deadline.Token);
        }
        catch (OperationCanceledException) when (!_stopping.IsCancellationRequested)
        {
            socket.Dispose();
            throw new TimeoutException($"no connection within {_connectTimeout.TotalSeconds:0} s");
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        Stream stream = new NetworkStream(socket, ownsSocket: true);
        return _wrap?.Invoke(channel, stream) ?? stream;
    }

    private void Report(MultifdLocal.Broken broken)
    {
        if (_broken || _stopping.IsCancellationRequested)
            return;
        _broken = true; // the first reason is the one that counts; the others follow from it
        _log.Warning("{0}", broken.Reason);
        Context.Parent.Tell(broken);
    }
}
