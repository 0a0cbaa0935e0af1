using Orchestrator.Actors.Multifd;

namespace Orchestrator.Actors.Migration;

/// <summary>The source migration's multifd channels: opened at the setup answer, closed once every stream drained.</summary>
internal sealed partial class SourceMigration
{
    /// <summary>What the destination is told: the channel count, 0 with multifd off (it refuses a mismatch).</summary>
    private int MultifdChannels => _capabilities.Multifd ? _parameters.MultifdChannels : 0;

    /// <summary>
    /// With multifd on, the channels to the endpoint the destination answered with, one route per device (the frame's device index is
    /// the device's place in the destination's loader list); null without multifd, the streams then send over Akka.Remote.
    /// </summary>
    private Func<DeviceName, IChunkRoute?>? OpenChannels(IncomingProtocol.Prepared prepared)
    {
        if (!_capabilities.Multifd)
            return null;
        var channels = new MultifdChannels(_parameters.MultifdChannels, _settings.Precopy.Window, _time);
        Context.ActorOf(MultifdSender.Props(channels, prepared.Multifd!, _settings.SetupTimeout, _settings.Precopy.Stall,
            _settings.MultifdTransport?.Outgoing), MultifdSender.Name);
        var index = prepared.Loaders.Select((l, i) => (l.Device, Index: (ushort)i)).ToDictionary(x => x.Device, x => x.Index);
        return device => new MultifdChunkRoute(channels, index[device], _settings.Precopy.Window);
    }

    /// <summary>Credits for multifd frames come to the migration (the destination knows no streamer): each goes to its stream.</summary>
    private void ForwardCredit(PrecopyProtocol.ChunkLoaded credit)
    {
        if (credit.Migration == _id && _streamers.TryGetValue(credit.Device, out var streamer))
            streamer.Forward(credit);
    }

    /// <summary>Every stream drained: the channels carried their last frame.</summary>
    private void CloseChannels()
    {
        var sender = Context.Child(MultifdSender.Name);
        if (!sender.IsNobody())
            Context.Stop(sender);
    }
}
