using System.Security.Cryptography;

namespace Orchestrator.Actors.Multifd;

/// <summary>
/// QEMU's multifd: device state on N direct TCP channels per migration, beside the Akka.Remote association that keeps control, credits,
/// acks and the switchover. The destination listens on its remoting host and says where in its setup answer; the source connects.
/// </summary>
public static class MultifdProtocol
{
    /// <summary>Where the source opens its channels, and the one-time token each channel must send before anything else.</summary>
    public sealed record Endpoint(string Host, int Port, MultifdToken Token);

    /// <summary>
    /// What a channel runs over once its socket is open: the plain stream, or a wrapper (an SslStream for cluster TLS; faults in tests).
    /// Every byte of a channel, the token included, goes through the wrapper.
    /// </summary>
    /// <param name="Outgoing">Source side: channel index and the connected stream.</param>
    /// <param name="Incoming">Destination side: the accepted stream, before its token is read (so TLS comes first).</param>
    public sealed record Transport(Func<int, Stream, Stream>? Outgoing = null, Func<Stream, Stream>? Incoming = null);
}

/// <summary>A random 128-bit secret for one migration's channels, compared in constant time.</summary>
public sealed record MultifdToken(string Hex)
{
    public const int Size = 16;

    public static MultifdToken New() => new(Convert.ToHexString(RandomNumberGenerator.GetBytes(Size)));

    public byte[] Bytes() => Convert.FromHexString(Hex);

    public bool Matches(ReadOnlySpan<byte> candidate) => CryptographicOperations.FixedTimeEquals(candidate, Bytes());

    public override string ToString() => "(token)"; // never in a log
}

/// <summary>Messages between multifd channels and the migration actors of one node.</summary>
internal static class MultifdLocal
{
    /// <summary>A device's frame arrived on a channel: to that device's loader, which puts the stream back in order.</summary>
    public sealed record FrameArrived(long Seq, DeviceChunk Chunk);

    /// <summary>The channels cannot go on; <paramref name="Reason"/> names the channel (<c>multifd channel 2: ...</c>).</summary>
    /// <param name="ByPeer">The other side closed it: its own reason, on its way over Akka.Remote, says more and gets a moment to arrive.</param>
    public sealed record Broken(string Reason, bool ByPeer = false);

    public static string Channel(int index, string what) => $"multifd channel {index}: {what}";
}
