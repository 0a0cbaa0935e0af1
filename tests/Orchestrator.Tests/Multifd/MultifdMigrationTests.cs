using System.Collections.Concurrent;
using Orchestrator.Actors.Migration;
using Orchestrator.Actors.Multifd;
using Orchestrator.Tests.Migration;
using Xunit;
using Xunit.Abstractions;

namespace Orchestrator.Tests.Multifd;

/// <summary>Migrations with multifd on both sides: the device state travels on the channels, and the destination's state is the source's.</summary>
public sealed class MultifdMigrationTests(ITestOutputHelper output) : TwoNodeTestKit(output, Counted)
{
    /// <summary>Bytes written per channel index by the current test (the tests of a class run one at a time).</summary>
    private static readonly ConcurrentDictionary<int, long> Written = new();

    private static readonly MigrationSettings Counted = MigrationSettings.Default with
    {
        MultifdTransport = new MultifdProtocol.Transport(Outgoing: (channel, stream) => new TappedStream(stream, (_, bytes, _) =>
        {
            Written.AddOrUpdate(channel, bytes.Length, (_, n) => n + bytes.Length);
            return ValueTask.FromResult(bytes);
        })),
    };

    private async Task MultifdOnBothSides(int channels)
    {
        Written.Clear();
        await SetCapabilities("return-path,switchover-ack,multifd");
        await SetParameters(("multifd-channels", channels.ToString()), ("max-bandwidth", "0"));
        await SetDestinationCapabilities("return-path,switchover-ack,multifd");
        await SetDestinationParameters(("multifd-channels", channels.ToString()));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(8)]
    public async Task Every_device_digest_is_equal_after_a_migration_over_n_channels(int channels)
    {
        await Create(SmallVm(dirtyRate: 8L << 20));
        await MultifdOnBothSides(channels);
        await Migrate();

        var info = await UntilEnded();

        Assert.True(info.Status == MigrationStatus.Completed, $"{info.Status.Name()}: {info.ErrorDesc}");
        Assert.True(info.Verified);
        Assert.All(info.Devices, d =>
        {
            Assert.NotNull(d.SourceDigest);
            Assert.Equal(d.SourceDigest, d.DestinationDigest);
        });
        Assert.Equal(VmStates.Running, Assert.Single(await Vms(Destination)).State);
        // Every channel carried device state, and together all of it: the chunks did not go over Akka.Remote.
        Assert.Equal(Enumerable.Range(0, channels), Written.Keys.Order());
        var device = info.Devices.Sum(d => d.Transferred);
        Assert.All(Written.Values, bytes => Assert.True(bytes > MultifdFrame.HandshakeSize, $"a channel carried only {bytes} bytes"));
        Assert.InRange(Written.Values.Sum(), device, device + device / 10);
    }

    [Fact]
    public async Task Multifd_on_at_the_source_only_fails_at_setup_naming_both_sides_and_the_source_keeps_running()
    {
        await Create(SmallVm());
        await SetCapabilities("return-path,switchover-ack,multifd");
        await Migrate();

        var info = await UntilEnded(TimeSpan.FromSeconds(10));

        Assert.Equal(MigrationStatus.Failed, info.Status);
        Assert.Equal(0, info.Transferred);
        Assert.StartsWith("multifd mismatch: multifd on with 2 channels at the source, multifd off at the destination", info.ErrorDesc);
        await AssertRolledBack(info);
    }

    [Fact]
    public async Task Multifd_on_at_the_destination_only_fails_at_setup_naming_both_sides()
    {
        await Create(SmallVm());
        await SetDestinationCapabilities("return-path,switchover-ack,multifd");
        await Migrate();

        var info = await UntilEnded(TimeSpan.FromSeconds(10));

        Assert.Equal(MigrationStatus.Failed, info.Status);
        Assert.StartsWith("multifd mismatch: multifd off at the source, multifd on with 2 channels at the destination", info.ErrorDesc);
        await AssertRolledBack(info);
    }

    [Fact]
    public async Task Different_channel_counts_fail_at_setup()
    {
        await Create(SmallVm());
        await MultifdOnBothSides(4);
        await SetDestinationParameters(("multifd-channels", "3"));
        await Migrate();

        var info = await UntilEnded(TimeSpan.FromSeconds(10));

        Assert.StartsWith("multifd mismatch: multifd on with 4 channels at the source, multifd on with 3 channels at the destination", info.ErrorDesc);
        await AssertRolledBack(info);
    }
}
