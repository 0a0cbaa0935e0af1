using Orchestrator.Actors.Faults;
using Orchestrator.Actors.Incoming;
using Orchestrator.Actors.Migration;
using Orchestrator.Devices.Machine;
using Xunit;
using Xunit.Abstractions;

namespace Orchestrator.Tests.Migration;

/// <summary>State corrupted on its way: the digest check fails the migration, the corrupt copy never runs.</summary>
public sealed class CorruptionTests(ITestOutputHelper output) : TwoNodeTestKit(output)
{
    private IncomingCorruption? _corruption;

    /// <summary>The destination runs as with fault injection enabled.</summary>
    private IncomingCorruption Corruption => _corruption ??= new IncomingCorruption(Sys.Log);

    protected override IncomingLoadDecorator DestinationLoads => Corruption.Decorate;

    [Fact]
    public async Task A_corrupted_copy_fails_the_digest_check_and_the_source_keeps_running()
    {
        await Create(SmallVm(vfio: 0, vgpu: 0));
        Corruption.Arm(Vm);
        await Migrate();
        var info = await UntilEnded();
        Assert.Equal(MigrationStatus.Failed, info.Status);
        Assert.Contains("digest mismatch on ram", info.ErrorDesc);
        Assert.Contains("destination VM not started", info.ErrorDesc);
        Assert.False(info.Verified);
        await AssertRolledBack(info);

        // The fault was one-shot: the next migration carries the state intact.
        await Migrate();
        var again = await UntilEnded();
        Assert.Equal(MigrationStatus.Completed, again.Status);
        Assert.True(again.Verified);
        Assert.Equal(VmStates.Running, Assert.Single(await Vms(Destination)).State);
    }
}
