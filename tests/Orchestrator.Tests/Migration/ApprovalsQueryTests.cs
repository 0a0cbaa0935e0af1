using Orchestrator.Actors.Incoming;
using Orchestrator.Actors.Migration;
using Orchestrator.Actors.Precopy;
using Orchestrator.Actors.Switchover;
using Orchestrator.Devices.Contract;
using Orchestrator.Devices.Vfio;
using Orchestrator.Tests.Devices;
using Xunit;
using Xunit.Abstractions;

namespace Orchestrator.Tests.Migration;

/// <summary>
/// The destination, asked by a source that waits for acks, tells which devices have approved: the answer
/// stands in for a DeviceAcked (or an ExpectAcks) that Akka.Remote dropped on the way. Here the test is the
/// source, and the acks it is sent are never read, as if lost.
/// </summary>
public sealed class ApprovalsQueryTests(ITestOutputHelper output) : TwoNodeTestKit(output)
{
    [Fact]
    public async Task A_destination_answers_which_devices_approved_so_a_lost_ack_can_be_recovered()
    {
        var spec = SmallVm(vgpu: 0, vfioAllocMs: 100);
        var vf = spec.Devices[1];
        var source = CreateTestProbe();
        var lostAcks = CreateTestProbe(); // the coordinator whose acks never arrive
        var id = MigrationId.New();
        Destination.Host.Tell(new IncomingProtocol.Prepare(id, spec, source.Ref, lostAcks.Ref, SourceSwitchoverAck: true), source.Ref);
        var prepared = await source.ExpectMsgAsync<IncomingProtocol.Prepared>();
        var incoming = prepared.Incoming;

        // Before the VF has its initial data, it owes an ack and has not approved.
        incoming.Tell(new SwitchoverProtocol.ApprovalsQuery(id), source.Ref);
        var before = await source.ExpectMsgAsync<SwitchoverProtocol.Approvals>();
        Assert.Equal([vf.Name], before.Expected);
        Assert.Empty(before.Approved);

        // The VF's initial data up to its INIT_DATA_SENT marker, as its stream sends it.
        var state = VfioDevice.Filled(vf, seed: 5);
        state.SaveSetup(new SaveContext(SwitchoverAck: true));
        var loader = prepared.Loaders.Single(l => l.Device == vf.Name).Ref;
        var chunks = DeviceStreams.Iterate(state, Settings.Precopy.ChunkBytes);
        for (var seq = 0; seq < chunks.Count; seq++)
            loader.Tell(new PrecopyProtocol.Chunk(id, vf.Name, seq, chunks[seq].Payload), source.Ref);

        // It approves after its allocation; that ack goes to a coordinator that never reads it.
        await lostAcks.FishForMessageAsync(m => m is SwitchoverProtocol.DeviceAcked, TimeSpan.FromSeconds(10));
        incoming.Tell(new SwitchoverProtocol.ApprovalsQuery(id), source.Ref);
        var after = await source.FishForMessageAsync<SwitchoverProtocol.Approvals>(_ => true, TimeSpan.FromSeconds(5));
        Assert.Equal([vf.Name], after.Expected);
        Assert.Equal([vf.Name], after.Approved);

        incoming.Tell(new IncomingProtocol.Abort(id, "test over"), source.Ref);
    }
}
