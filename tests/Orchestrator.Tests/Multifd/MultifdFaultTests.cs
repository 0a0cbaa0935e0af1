using System.Net;
using System.Net.Sockets;
using Orchestrator.Actors.Migration;
using Orchestrator.Actors.Multifd;
using Orchestrator.Actors.Precopy;
using Orchestrator.Tests.Migration;
using Xunit;
using Xunit.Abstractions;

namespace Orchestrator.Tests.Multifd;

/// <summary>A channel that breaks, stalls, sends garbage or is joined by an intruder: the migration fails cleanly, naming the channel, or goes on.</summary>
public sealed class MultifdFaultTests(ITestOutputHelper output) : TwoNodeTestKit(output, Faulty)
{
    /// <summary>What the current test does to the source's channels (the tests of a class run one at a time).</summary>
    private static Func<int, Stream, Stream>? _fault;

    private static readonly MigrationSettings Faulty = MigrationSettings.Default with
    {
        Precopy = new PrecopyProtocol.Settings(StallTimeout: TimeSpan.FromSeconds(2)),
        SetupTimeout = TimeSpan.FromSeconds(5),
        MultifdTransport = new MultifdProtocol.Transport(Outgoing: (channel, stream) => _fault?.Invoke(channel, stream) ?? stream),
    };

    /// <summary>Channel 1's stream, failing once <paramref name="after"/> bytes went through it.</summary>
    private static Func<int, Stream, Stream> OnChannel1After(long after, Func<Stream, CancellationToken, ValueTask> fault) =>
        (channel, stream) => channel != 1 ? stream : new TappedStream(stream, async (written, bytes, cancel) =>
        {
            if (written + bytes.Length > after)
                await fault(stream, cancel);
            return bytes;
        });

    private async Task<MigrationInfo> MigrateWithMultifd(long dirtyRate = 4L << 20)
    {
        await Create(SmallVm(ram: 16L << 20, dirtyRate: dirtyRate));
        await SetCapabilities("return-path,switchover-ack,multifd");
        await SetParameters(("multifd-channels", "3"), ("max-bandwidth", "8388608")); // 8 MiB/s: still in precopy when the fault lands
        await SetDestinationCapabilities("return-path,switchover-ack,multifd");
        await SetDestinationParameters(("multifd-channels", "3"));
        await Migrate();
        return await UntilEnded(TimeSpan.FromSeconds(60));
    }

    [Fact]
    public async Task A_channel_killed_mid_precopy_fails_the_migration_naming_it_and_the_source_keeps_running()
    {
        _fault = OnChannel1After(1L << 20, (stream, _) =>
        {
            stream.Dispose(); // the socket goes: the destination sees the channel end too
            throw new IOException("connection reset by the test");
        });

        var info = await MigrateWithMultifd();

        Assert.Equal(MigrationStatus.Failed, info.Status);
        Assert.Contains("multifd channel 1: ", info.ErrorDesc);
        await AssertRolledBack(info);
    }

    [Fact]
    public async Task A_channel_killed_mid_stop_copy_fails_the_migration_naming_it_and_the_paused_source_runs_again()
    {
        // The first channel that writes once the source VM has stopped loses its connection: stop-copy uses every channel.
        var stopped = 0;
        var killed = -1;
        PhaseTap.Attach(Sys, reached =>
        {
            if (reached.Phase == MigrationPhase.StopCopy)
                Volatile.Write(ref stopped, 1);
        });
        _fault = (channel, stream) => new TappedStream(stream, (_, bytes, _) =>
        {
            if (Volatile.Read(ref stopped) == 1)
            {
                Interlocked.CompareExchange(ref killed, channel, -1);
                if (Volatile.Read(ref killed) == channel)
                {
                    stream.Dispose();
                    throw new IOException("connection reset by the test");
                }
            }
            return ValueTask.FromResult(bytes);
        });

        await Create(SmallVm(ram: 16L << 20, dirtyRate: 1L << 20));
        await SetCapabilities("return-path,switchover-ack,multifd");
        await SetParameters(("multifd-channels", "3"));
        await SetDestinationCapabilities("return-path,switchover-ack,multifd");
        await SetDestinationParameters(("multifd-channels", "3"));
        await Migrate();
        var info = await UntilEnded(TimeSpan.FromSeconds(60));

        Assert.Equal(1, Volatile.Read(ref stopped));
        Assert.Equal(MigrationStatus.Failed, info.Status);
        Assert.Contains($"multifd channel {Volatile.Read(ref killed)}: ", info.ErrorDesc);
        await AssertRolledBack(info);
    }

    [Fact]
    public async Task A_stalled_channel_fails_the_migration_after_the_stall_timeout_naming_it()
    {
        _fault = OnChannel1After(256 * 1024, async (_, cancel) => await Task.Delay(Timeout.Infinite, cancel));

        var info = await MigrateWithMultifd();

        Assert.Equal(MigrationStatus.Failed, info.Status);
        Assert.Contains("multifd channel 1: no progress from the destination for 2 s with", info.ErrorDesc);
        await AssertRolledBack(info);
    }

    [Fact]
    public async Task A_frame_that_does_not_parse_fails_the_migration_naming_the_channel()
    {
        var garbage = new byte[MultifdFrame.HeaderSize];
        MultifdFrame.WriteHeader(garbage, 0, 0, 100);
        garbage[0] = 99; // a version no node speaks
        _fault = (channel, stream) => channel != 1 ? stream : new TappedStream(stream, async (written, bytes, cancel) =>
        {
            if (written == MultifdFrame.HandshakeSize)
                await stream.WriteAsync(garbage, cancel);
            return bytes;
        });

        var info = await MigrateWithMultifd();

        Assert.Equal(MigrationStatus.Failed, info.Status);
        Assert.Contains("multifd channel 1: a frame that does not parse: frame of version 99, expected 1", info.ErrorDesc);
        await AssertRolledBack(info);
    }

    [Fact]
    public async Task A_connection_with_the_wrong_token_is_dropped_and_the_migration_completes()
    {
        var intruder = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        _fault = (channel, stream) =>
        {
            // Before channel 0 says its token, so the destination's listener is still open for it.
            if (channel == 0 && stream is NetworkStream network)
                Intrude((IPEndPoint)network.Socket.RemoteEndPoint!, intruder);
            return stream;
        };

        var info = await MigrateWithMultifd(dirtyRate: 1L << 20);

        Assert.True(info.Status == MigrationStatus.Completed, $"{info.Status.Name()}: {info.ErrorDesc}");
        Assert.True(info.Verified);
        // The destination closed the intruder's connection without a byte back.
        Assert.Equal(0, await intruder.Task.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    /// <summary>Connects to the destination's channel port with a handshake whose token is not the migration's; the result is what a read gets.</summary>
    private static void Intrude(IPEndPoint endpoint, TaskCompletionSource<int> result)
    {
        var client = new TcpClient();
        client.Connect(endpoint);
        var handshake = new byte[MultifdFrame.HandshakeSize];
        MultifdFrame.WriteHandshake(handshake, 0, MultifdToken.New());
        var stream = client.GetStream();
        stream.Write(handshake);
        _ = Task.Run(async () =>
        {
            try
            {
                result.TrySetResult(await stream.ReadAsync(new byte[16]));
            }
            catch (IOException)
            {
                result.TrySetResult(0); // reset rather than closed: dropped all the same
            }
            finally
            {
                client.Dispose();
            }
        });
    }
}
