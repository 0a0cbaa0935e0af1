using Orchestrator.Actors.Migration;
using Orchestrator.Actors.Precopy;
using Xunit;
using Xunit.Abstractions;

namespace Orchestrator.Tests.Migration;

/// <summary>A destination that stops crediting fails the migration after the stall timeout, and the VM stays home.</summary>
public sealed class StallTests(ITestOutputHelper output) : TwoNodeTestKit(output, StuckDestination)
{
    // Each chunk takes the destination a minute: no credit comes back within the 1 s stall timeout.
    private static readonly MigrationSettings StuckDestination = MigrationSettings.Default with
    {
        Precopy = new PrecopyProtocol.Settings(StallTimeout: TimeSpan.FromSeconds(1), DestinationLoadDelay: TimeSpan.FromMinutes(1)),
    };

    [Fact]
    public async Task A_stream_without_credit_for_the_stall_timeout_fails_the_migration_and_the_source_keeps_running()
    {
        await Create(SmallVm(vgpu: 0));
        await Migrate();

        var info = await UntilEnded(TimeSpan.FromSeconds(30));

        Assert.Equal(MigrationStatus.Failed, info.Status);
        Assert.Contains("no progress from the destination for 1 s with", info.ErrorDesc);
        await AssertRolledBack(info);
    }
}
