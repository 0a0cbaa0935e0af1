using Orchestrator.Actors.Migration;
using Orchestrator.Actors.Precopy;
using Orchestrator.Tests.Migration;
using Xunit;
using Xunit.Abstractions;

namespace Orchestrator.Tests.Multifd;

public sealed class MultifdFlowControlTests(ITestOutputHelper output) : TwoNodeTestKit(output, SlowDestination)
{
    private const int Window = 4;

    // Every chunk costs the destination 10 ms more than it costs the source: the channels could carry far more than it loads.
    private static readonly MigrationSettings SlowDestination = MigrationSettings.Default with
    {
        Precopy = new PrecopyProtocol.Settings(ChunkBytes: 64 * 1024, Window: Window, DestinationLoadDelay: TimeSpan.FromMilliseconds(10)),
    };

    [Fact]
    public async Task A_destination_slower_than_the_channels_never_holds_more_chunks_than_the_window()
    {
        await Create(SmallVm(ram: 4L << 20, vfio: 2L << 20, vgpu: 0, dirtyRate: 1L << 20));
        await SetCapabilities("return-path,switchover-ack,multifd");
        await SetParameters(("multifd-channels", "4"), ("max-bandwidth", "0"));
        await SetDestinationCapabilities("return-path,switchover-ack,multifd");
        await SetDestinationParameters(("multifd-channels", "4"));
        await Migrate();

        var info = await UntilEnded(TimeSpan.FromSeconds(60));

        Assert.True(info.Status == MigrationStatus.Completed, $"{info.Status.Name()}: {info.ErrorDesc}");
        Assert.True(info.Verified);
        Assert.All(info.Devices, d => Assert.True(d.MaxInFlight <= Window, $"{d.Name} had {d.MaxInFlight} chunks in flight"));
        // The source had more to send than the destination could take: the window was what held it back.
        Assert.Contains(info.Devices, d => d.MaxInFlight == Window);
    }
}
