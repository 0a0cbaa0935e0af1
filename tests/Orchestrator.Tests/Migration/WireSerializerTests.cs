using System.Buffers;
using System.Runtime.InteropServices;
using System.Runtime.Serialization;
using Akka.Actor;
using Akka.TestKit.Xunit2;
using Orchestrator.Actors.Host;
using Orchestrator.Actors.Incoming;
using Orchestrator.Actors.Migration;
using Orchestrator.Actors.Precopy;
using Orchestrator.Actors.Switchover;
using Orchestrator.Actors.Wire;
using Orchestrator.Actors.Wiring;
using Orchestrator.Devices.Contract;
using Orchestrator.Devices.Machine;
using Orchestrator.Devices.Memory;
using Xunit;

namespace Orchestrator.Tests.Migration;

public sealed class WireSerializerTests() : TestKit(TestSystem.Start())
{
    private static readonly MigrationId Id = new("abc123");
    private static readonly DeviceName Ram = new("ram");

    public static TheoryData<object> Messages()
    {
        var spec = new VmSpec("vm1",
            [DefaultDevices.Ram(8L << 20), DefaultDevices.Vfio(4L << 20, TimeSpan.FromMilliseconds(1480))],
            new WorkloadSpec(1 << 20, DirtyPattern.HotSet, 7));
        var digest = new IncomingProtocol.DigestOf(Ram, new DeviceDigest("00ff"));
        return new TheoryData<object>
        {
            new PrecopyProtocol.ChunkLoaded(Id, Ram, 42),
            new SwitchoverProtocol.ExpectAcks(Id, [Ram, new DeviceName("0000:17:00.2")]),
            new SwitchoverProtocol.DeviceAcked(Id, Ram),
            new SwitchoverProtocol.ApprovalsQuery(Id),
            new SwitchoverProtocol.Approvals(Id, [Ram, new DeviceName("0000:17:00.2")], [Ram]),
            new SwitchoverProtocol.Approvals(Id, Expected: null, Approved: []),
            new IncomingProtocol.Prepare(Id, spec, ActorRefs.Nobody, ActorRefs.Nobody),
            new IncomingProtocol.Prepare(Id, spec, ActorRefs.Nobody, ActorRefs.Nobody, SourceSwitchoverAck: true),
            new IncomingProtocol.Prepare(Id, spec, ActorRefs.Nobody, ActorRefs.Nobody, SourceSwitchoverAck: true, MultifdChannels: 8),
            new IncomingProtocol.Refused(Id, "no room"),
            new IncomingProtocol.StopCopyStarted(Id),
            new IncomingProtocol.ReadyToStart(Id, [digest]),
            new IncomingProtocol.Failed(Id, "bad"),
            new IncomingProtocol.Commit(Id, 3),
            new IncomingProtocol.Commit(Id, 3, Recorded: true),
            new IncomingProtocol.Running(Id),
            new IncomingProtocol.Abort(Id, "why"),
        };
    }

    [Theory]
    [MemberData(nameof(Messages))]
    public void Control_messages_round_trip_through_the_wire_serializer(object message)
    {
        var serializer = Sys.Serialization.FindSerializerFor(message);
        Assert.IsType<MigrationWireSerializer>(serializer);

        var back = Roundtrip(message);

        Assert.Equal(Describe(message), Describe(back));
    }

    [Theory]
    [MemberData(nameof(Messages))]
    public void A_message_of_another_wire_version_is_refused_saying_so_not_misread(object message)
    {
        var serializer = (MigrationWireSerializer)Sys.Serialization.FindSerializerFor(message);
        var bytes = serializer.ToBinary(message);
        Assert.Equal(MigrationWireSerializer.Version, bytes[0]);
        bytes[0] = MigrationWireSerializer.Version + 1; // a newer node's

        var refused = Assert.Throws<System.Runtime.Serialization.SerializationException>(() => serializer.FromBinary(bytes, serializer.Manifest(message)));

        Assert.Contains($"not in wire format version {MigrationWireSerializer.Version} (its first byte is {MigrationWireSerializer.Version + 1})", refused.Message);
        Assert.Contains("every node of a cluster must run the same one", refused.Message);
    }

    [Fact]
    public void A_chunk_of_another_wire_version_is_refused_too()
    {
        var chunk = new PrecopyProtocol.Chunk(Id, Ram, 9, new byte[64]);
        var serializer = (MigrationWireSerializer)Sys.Serialization.FindSerializerFor(chunk);
        var bytes = serializer.ToBinary(chunk);
        bytes[0] = 1; // the first, unversioned format began with a length here

        Assert.Throws<System.Runtime.Serialization.SerializationException>(() => serializer.FromBinary(bytes, serializer.Manifest(chunk)));
    }

    [Fact]
    public void A_chunk_round_trips_byte_for_byte_and_not_through_json()
    {
        var payload = new byte[300_000];
        new Random(5).NextBytes(payload);
        var chunk = new PrecopyProtocol.Chunk(Id, Ram, 9, payload);

        var serializer = Sys.Serialization.FindSerializerFor(chunk);
        var bytes = serializer.ToBinary(chunk);
        var back = Assert.IsType<PrecopyProtocol.Chunk>(Roundtrip(chunk));

        Assert.IsType<MigrationWireSerializer>(serializer);
        Assert.True(bytes.Length < payload.Length + 64, $"{bytes.Length} bytes on the wire for {payload.Length} of payload");
        Assert.Equal((Id, Ram, 9L), (back.Migration, back.Device, back.Seq));
        Assert.Equal(payload, back.Payload);
    }

    [Fact]
    public void A_received_chunk_is_a_slice_of_its_frame_and_a_sent_chunk_gives_its_pooled_buffer_back()
    {
        var serializer = new MigrationWireSerializer((ExtendedActorSystem)Sys);
        using var writer = new ChunkWriter(256 * 1024);
        new Random(3).NextBytes(writer.GetSpan(200_000)[..200_000]);
        writer.Advance(200_000);
        var sent = writer.ToChunk()!;
        Assert.True(MemoryMarshal.TryGetArray(sent.Payload, out var pooled)); // the writer's rented buffer, not a copy of it

        var frame = serializer.ToBinary(new PrecopyProtocol.Chunk(Id, Ram, 4, sent.Payload) { Pooled = sent });
        Assert.Same(pooled.Array, ArrayPool<byte>.Shared.Rent(256 * 1024)); // serialized, the buffer went back to the pool

        serializer.FromBinary(frame, "C"); // warm-up: the first call pays for type loading
        var before = GC.GetAllocatedBytesForCurrentThread();
        var back = Assert.IsType<PrecopyProtocol.Chunk>(serializer.FromBinary(frame, "C"));
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.True(MemoryMarshal.TryGetArray(back.Payload, out var slice));
        Assert.Same(frame, slice.Array);
        Assert.True(allocated < 1024, $"{allocated} bytes allocated to read a chunk of 200,000");
    }

    [Fact]
    public void Multifd_setup_travels_under_new_manifests_and_the_old_ones_keep_their_bytes()
    {
        var serializer = new MigrationWireSerializer((ExtendedActorSystem)Sys);
        var spec = new VmSpec("vm1", [DefaultDevices.Ram(8L << 20)], new WorkloadSpec(0));
        var plain = new IncomingProtocol.Prepare(Id, spec, ActorRefs.Nobody, ActorRefs.Nobody);
        var multifd = plain with { MultifdChannels = 4 };
        var endpoint = new Actors.Multifd.MultifdProtocol.Endpoint("127.0.0.1", 40123, Actors.Multifd.MultifdToken.New());
        var prepared = new IncomingProtocol.Prepared(Id, ActorRefs.Nobody, [new IncomingProtocol.Loader(Ram, ActorRefs.Nobody)], endpoint);

        Assert.Equal(("P", "PM"), (serializer.Manifest(plain), serializer.Manifest(multifd)));
        Assert.Equal(("PD", "PDM"), (serializer.Manifest(prepared with { Multifd = null }), serializer.Manifest(prepared)));
        // "P" is what it was: the PM bytes are P's and then the channel count.
        Assert.Equal(serializer.ToBinary(plain), serializer.ToBinary(multifd)[..^4]);
        var back = Assert.IsType<IncomingProtocol.Prepared>(Roundtrip(prepared));
        Assert.Equal(endpoint, back.Multifd);
        Assert.Null(Assert.IsType<IncomingProtocol.Prepared>(Roundtrip(prepared with { Multifd = null })).Multifd);
    }

    [Fact]
    public void Unknown_manifests_and_truncated_frames_are_refused()
    {
        var serializer = new MigrationWireSerializer((ExtendedActorSystem)Sys);
        var chunk = serializer.ToBinary(new PrecopyProtocol.Chunk(Id, Ram, 1, new byte[100]));

        Assert.Throws<SerializationException>(() => serializer.FromBinary([1, 2, 3], "nope"));
        Assert.Throws<SerializationException>(() => serializer.FromBinary(chunk[..^10], "C"));
        Assert.Throws<SerializationException>(() => serializer.FromBinary([5, 0, 0], "RF"));
    }

    [Fact]
    public void Host_commands_and_answers_cross_nodes_through_the_allow_listed_json_serializer()
    {
        var migrate = new HostProtocol.Migrate("vm1", Address.Parse("akka.tcp://orchestrator@127.0.0.1:4053"),
            MigrationCapabilities.ParseList("return-path,switchover-ack"), [("max-bandwidth", "0")]);
        var changes = new HostProtocol.SetCapabilities("vm1", [("auto-converge", true)]);

        var migrateBack = Assert.IsType<HostProtocol.Migrate>(HostRoundtrip(migrate));
        var changesBack = Assert.IsType<HostProtocol.SetCapabilities>(HostRoundtrip(changes));
        var result = Assert.IsType<CommandResult>(HostRoundtrip(CommandResult.Conflict("There's a migration process in progress")));

        Assert.Equal(migrate.Destination, migrateBack.Destination);
        Assert.Equal(migrate.Capabilities, migrateBack.Capabilities);
        Assert.Equal(("max-bandwidth", "0"), Assert.Single(migrateBack.Parameters!));
        Assert.Equal(("auto-converge", true), Assert.Single(changesBack.Changes));
        Assert.Equal((ErrorKind.Conflict, "There's a migration process in progress"), (result.Kind, result.Error));
    }

    [Fact]
    public void The_host_serializer_builds_no_type_it_does_not_list()
    {
        var serializer = new HostWireSerializer((ExtendedActorSystem)Sys);

        Assert.Throws<SerializationException>(() => serializer.FromBinary("{}"u8.ToArray(), "System.IO.FileInfo"));
        Assert.Throws<ArgumentException>(() => serializer.Manifest(new object()));
    }

    private object HostRoundtrip(object message)
    {
        var serializer = Assert.IsType<HostWireSerializer>(Sys.Serialization.FindSerializerFor(message));
        return serializer.FromBinary(serializer.ToBinary(message), serializer.Manifest(message));
    }

    private object Roundtrip(object message)
    {
        var serializer = (MigrationWireSerializer)Sys.Serialization.FindSerializerFor(message);
        return serializer.FromBinary(serializer.ToBinary(message), serializer.Manifest(message));
    }

    // Records compare lists by reference; their printed form shows every element.
    private static string Describe(object message) => message switch
    {
        SwitchoverProtocol.ExpectAcks m => $"{m.Migration} {string.Join(",", m.Devices)}",
        SwitchoverProtocol.Approvals m => $"{m.Migration} {(m.Expected is null ? "no count" : string.Join(",", m.Expected))} {string.Join(",", m.Approved)}",
        IncomingProtocol.Prepare m => $"{m.Migration} {m.Spec.Name} {string.Join(",", m.Spec.Devices)} {m.Spec.Workload} {m.SourceSwitchoverAck} {m.MultifdChannels}",
        IncomingProtocol.ReadyToStart m => $"{m.Migration} {string.Join(",", m.DestinationDigests)}",
        _ => message.ToString()!,
    };
}
