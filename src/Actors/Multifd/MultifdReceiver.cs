using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;

namespace Orchestrator.Actors.Multifd;

/// <summary>
/// The destination's channels of one migration: a listener on the node's remoting host (port 0), accepting connections whose first bytes
/// are the migration's one-time token and a channel index; any other connection is dropped and logged. Once all channels are in, the
/// listener closes. A channel that breaks, ends or sends a frame that does not parse is reported to the parent, named.
/// </summary>
internal sealed class MultifdReceiver : ReceiveActor, IWithTimers
{
    private sealed record Accepted(int Channel, Stream Stream, PipeReader Reader);

    private sealed record Dropped(EndPoint? From, string Reason);

    private sealed class ConnectDeadline { public static readonly ConnectDeadline Instance = new(); }

    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Socket _listener;
    private readonly MultifdToken _token;
    private readonly int _channels;
    private readonly IReadOnlyList<IActorRef> _loaders;
    private readonly TimeSpan _connectTimeout;
    private readonly Func<Stream, Stream>? _wrap;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Dictionary<int, Stream> _connected = [];

    public MultifdReceiver(Socket listener, MultifdToken token, int channels, IReadOnlyList<IActorRef> loaders, TimeSpan connectTimeout, Func<Stream, Stream>? wrap)
    {
        _listener = listener;
        _token = token;
        _channels = channels;
        _loaders = loaders;
        _connectTimeout = connectTimeout;
        _wrap = wrap;
        Connecting();
    }

    public ITimerScheduler Timers { get; set; } = null!;

    /// <summary>Opens the listener now (so its port can go into the setup answer) and the actor that serves it.</summary>
    public static (Props Props, MultifdProtocol.Endpoint Endpoint) Listen(
        string host, int channels, IReadOnlyList<IActorRef> loaders, TimeSpan connectTimeout, Func<Stream, Stream>? wrap)
    {
        var address = IPAddress.TryParse(host, out var ip) ? ip : Dns.GetHostAddresses(host).First();
        var listener = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(address, 0));
        listener.Listen(channels * 2);
        var endpoint = new MultifdProtocol.Endpoint(host, ((IPEndPoint)listener.LocalEndPoint!).Port, MultifdToken.New());
        var props = Props.Create(() => new MultifdReceiver(listener, endpoint.Token, channels, loaders, connectTimeout, wrap));
        return (props, endpoint);
    }

    protected override void PreStart()
    {
        Timers.StartSingleTimer(ConnectDeadline.Instance, ConnectDeadline.Instance, _connectTimeout);
        _ = AcceptLoop(Self, _stopping.Token);
    }

    protected override void PostStop()
    {
        _stopping.Cancel();
        _listener.Dispose();
        foreach (var stream in _connected.Values)
            stream.Dispose();
    }

    private void Connecting()
    {
        Receive<Accepted>(accepted =>
        {
            if (!_connected.TryAdd(accepted.Channel, accepted.Stream))
            {
                _log.Warning("multifd: dropped a second connection for channel {0}", accepted.Channel);
                accepted.Stream.Dispose();
                return;
            }
            var channel = accepted.Channel;
            MultifdReceiveChannel.Run(accepted.Reader, _loaders, _stopping.Token)
                .PipeTo(Self, failure: e => new MultifdLocal.Broken(MultifdLocal.Channel(channel, Describe(e))));
            if (_connected.Count < _channels)
                return;
            Timers.Cancel(ConnectDeadline.Instance);
            _listener.Dispose(); // one-time: no connection is taken after the last channel
            _log.Debug("multifd: all {0} channels connected", _channels);
        });
        Receive<Dropped>(d => _log.Warning("multifd: dropped a connection from {0}: {1}", d.From, d.Reason));
        Receive<ConnectDeadline>(_ => Context.Parent.Tell(new MultifdLocal.Broken(
            $"multifd: {_channels - _connected.Count} of {_channels} channels did not connect within {_connectTimeout.TotalSeconds:0} s")));
        Receive<MultifdLocal.Broken>(broken => Context.Parent.Tell(broken));
    }

    private async Task AcceptLoop(IActorRef self, CancellationToken cancel)
    {
        while (!cancel.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptAsync(cancel);
            }
            catch (Exception) // the listener closed: every channel is in, or the migration ended
            {
                return;
            }
            _ = Handshake(socket, self, cancel);
        }
    }

    private async Task Handshake(Socket socket, IActorRef self, CancellationToken cancel)
    {
        var from = socket.RemoteEndPoint;
        socket.NoDelay = true;
        Stream stream = new NetworkStream(socket, ownsSocket: true);
        try
        {
            stream = _wrap?.Invoke(stream) ?? stream;
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancel);
            deadline.CancelAfter(_connectTimeout);
            var reader = MultifdReceiveChannel.Reader(stream);
            var handshake = await MultifdReceiveChannel.ReadHandshake(reader, deadline.Token);
            var channel = -1;
            var refused = handshake is null ? "closed before its handshake" : MultifdFrame.ReadHandshake(handshake, _token, _channels, out channel);
            if (refused is null)
            {
                self.Tell(new Accepted(channel, stream, reader));
                return;
            }
            self.Tell(new Dropped(from, refused));
        }
        catch (Exception e)
        {
            self.Tell(new Dropped(from, cancel.IsCancellationRequested ? "the migration ended" : $"no handshake: {Describe(e)}"));
        }
        await stream.DisposeAsync();
    }

    private static string Describe(Exception e) => e switch
    {
        MultifdFrameException frame => $"a frame that does not parse: {frame.Message}",
        OperationCanceledException => "cancelled",
        _ => e.Message,
    };
}
