using Orchestrator.Actors.Migration;
using Orchestrator.Actors.Precopy;
using Xunit;
using Xunit.Abstractions;

namespace Orchestrator.Tests.Migration;

public sealed class FlowControlTests(ITestOutputHelper output) : TwoNodeTestKit(output, SlowDestination)
{
    private const int Window = 4;

    // Every chunk costs the destination 15 ms more than it costs the source to produce.
    private static readonly MigrationSettings SlowDestination = MigrationSettings.Default with
    {
        Precopy = new PrecopyProtocol.Settings(ChunkBytes: 64 * 1024, Window: Window, DestinationLoadDelay: TimeSpan.FromMilliseconds(15)),
    };

    [Fact]
    public async Task A_destination_slower_than_the_source_never_holds_more_chunks_than_the_window()
    {
        await Create(SmallVm(ram: 4L << 20, vfio: 2L << 20, vgpu: 0, dirtyRate: 1L << 20));
        await SetParameters(("max-bandwidth", "0"));
        await Migrate();

        var info = await UntilEnded(TimeSpan.FromSeconds(60));

        Assert.Equal(MigrationStatus.Completed, info.Status);
        Assert.All(info.Devices, d =>
        {
            Assert.Equal(Window, d.Window);
            Assert.True(d.MaxInFlight <= Window, $"{d.Name} had {d.MaxInFlight} chunks in flight");
        });
        // The source had more to send than the destination could take: the window was what held it back.
        Assert.Contains(info.Devices, d => d.MaxInFlight == Window);
    }
}
