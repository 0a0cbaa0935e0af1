using System.Runtime.Serialization;
using System.Text;
using Akka.Actor;
using Akka.Serialization;
using Orchestrator.Actors.Incoming;
using Orchestrator.Actors.Migration;
using Orchestrator.Actors.Precopy;
using Orchestrator.Actors.Switchover;
using Orchestrator.Devices.Contract;
using Orchestrator.Devices.Machine;

namespace Orchestrator.Actors.Wire;

/// <summary>
/// Compact binary encoding of every <see cref="IMigrationWire"/> message. Chunks cost one copy each way
/// and a few dozen header bytes; nothing here goes through JSON.
/// </summary>
public sealed class MigrationWireSerializer(ExtendedActorSystem system) : SerializerWithStringManifest(system)
{
    /// <summary>Outside Akka's reserved 0..40.</summary>
    public const int Id = 4711;

    private const string ChunkManifest = "C";
    private const string ChunkLoadedManifest = "CL";
    private const string ExpectAcksManifest = "EA";
    private const string DeviceAckedManifest = "DA";
    private const string ApprovalsQueryManifest = "AQ";
    private const string ApprovalsManifest = "AP";
    private const string PrepareManifest = "P";
    private const string PreparedManifest = "PD";
    private const string RefusedManifest = "RF";
    private const string StopCopyManifest = "SC";
    private const string ReadyManifest = "RS";
    private const string FailedManifest = "F";
    private const string CommitManifest = "CM";
    private const string RunningManifest = "R";
    private const string AbortManifest = "A";

    /// <summary>
    /// The format's version, the first byte of every message. A message of another version (an older or newer
    /// node) is refused with an error that says so, never misread; version 1 was the first, unversioned format.
    /// </summary>
    public const byte Version = 2;

    public override int Identifier => Id;

    public override string Manifest(object o) => o switch
    {
        PrecopyProtocol.Chunk => ChunkManifest,
        PrecopyProtocol.ChunkLoaded => ChunkLoadedManifest,
        SwitchoverProtocol.ExpectAcks => ExpectAcksManifest,
        SwitchoverProtocol.DeviceAcked => DeviceAckedManifest,
        SwitchoverProtocol.ApprovalsQuery => ApprovalsQueryManifest,
        SwitchoverProtocol.Approvals => ApprovalsManifest,
        IncomingProtocol.Prepare => PrepareManifest,
        IncomingProtocol.Prepared => PreparedManifest,
        IncomingProtocol.Refused => RefusedManifest,
        IncomingProtocol.StopCopyStarted => StopCopyManifest,
        IncomingProtocol.ReadyToStart => ReadyManifest,
        IncomingProtocol.Failed => FailedManifest,
        IncomingProtocol.Commit => CommitManifest,
        IncomingProtocol.Running => RunningManifest,
        IncomingProtocol.Abort => AbortManifest,
        _ => throw new ArgumentException($"{o.GetType()} is not a migration wire message", nameof(o)),
    };

    public override byte[] ToBinary(object obj)
    {
        if (obj is PrecopyProtocol.Chunk chunk)
            return ChunkToBinary(chunk);

        using var stream = new MemoryStream(64);
        using (var w = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true))
        {
            w.Write(Version);
            switch (obj)
            {
                case PrecopyProtocol.ChunkLoaded m:
                    w.Write(m.Migration.Value); w.Write(m.Device.Value); w.Write(m.Seq);
                    break;
                case SwitchoverProtocol.ExpectAcks m:
                    w.Write(m.Migration.Value); WriteList(w, m.Devices, (x, d) => x.Write(d.Value));
                    break;
                case SwitchoverProtocol.DeviceAcked m:
                    w.Write(m.Migration.Value); w.Write(m.Device.Value);
                    break;
                case SwitchoverProtocol.ApprovalsQuery m:
                    w.Write(m.Migration.Value);
                    break;
                case SwitchoverProtocol.Approvals m:
                    w.Write(m.Migration.Value);
                    w.Write(m.Expected is not null);
                    if (m.Expected is not null)
                        WriteList(w, m.Expected, (x, d) => x.Write(d.Value));
                    WriteList(w, m.Approved, (x, d) => x.Write(d.Value));
                    break;
                case IncomingProtocol.Prepare m:
                    w.Write(m.Migration.Value); WriteSpec(w, m.Spec); WriteRef(w, m.Source); WriteRef(w, m.Coordinator); w.Write(m.SourceSwitchoverAck);
                    break;
                case IncomingProtocol.Prepared m:
                    w.Write(m.Migration.Value); WriteRef(w, m.Incoming);
                    WriteList(w, m.Loaders, (x, l) => { x.Write(l.Device.Value); WriteRef(x, l.Ref); });
                    break;
                case IncomingProtocol.Refused m:
                    w.Write(m.Migration.Value); w.Write(m.Reason);
                    break;
                case IncomingProtocol.StopCopyStarted m:
                    w.Write(m.Migration.Value);
                    break;
                case IncomingProtocol.ReadyToStart m:
                    w.Write(m.Migration.Value);
                    WriteList(w, m.DestinationDigests, (x, d) => { x.Write(d.Device.Value); x.Write(d.Digest.Hex); });
                    break;
                case IncomingProtocol.Failed m:
                    w.Write(m.Migration.Value); w.Write(m.Reason);
                    break;
                case IncomingProtocol.Commit m:
                    w.Write(m.Migration.Value); w.Write(m.Epoch); w.Write(m.Recorded);
                    break;
                case IncomingProtocol.Running m:
                    w.Write(m.Migration.Value);
                    break;
                case IncomingProtocol.Abort m:
                    w.Write(m.Migration.Value); w.Write(m.Reason);
                    break;
                default:
                    throw new ArgumentException($"{obj.GetType()} is not a migration wire message", nameof(obj));
            }
        }
        return stream.ToArray();
    }

    public override object FromBinary(byte[] bytes, string manifest)
    {
        if (bytes.Length == 0 || bytes[0] != Version)
            throw new SerializationException(
                $"A migration message '{manifest}' not in wire format version {Version} (its first byte is {(bytes.Length == 0 ? "missing" : bytes[0])}): " +
                "the peer runs another release of the orchestrator; every node of a cluster must run the same one");
        if (manifest == ChunkManifest)
            return ChunkFromBinary(bytes);

        using var r = new BinaryReader(new MemoryStream(bytes, 1, bytes.Length - 1, writable: false), Encoding.UTF8);
        try
        {
            return manifest switch
            {
                ChunkLoadedManifest => new PrecopyProtocol.ChunkLoaded(Mig(r), Dev(r), r.ReadInt64()),
                ExpectAcksManifest => new SwitchoverProtocol.ExpectAcks(Mig(r), ReadList(r, Dev)),
                DeviceAckedManifest => new SwitchoverProtocol.DeviceAcked(Mig(r), Dev(r)),
                ApprovalsQueryManifest => new SwitchoverProtocol.ApprovalsQuery(Mig(r)),
                ApprovalsManifest => new SwitchoverProtocol.Approvals(Mig(r), r.ReadBoolean() ? ReadList(r, Dev) : null, ReadList(r, Dev)),
                PrepareManifest => new IncomingProtocol.Prepare(Mig(r), ReadSpec(r), ReadRef(r), ReadRef(r), SourceSwitchoverAck: r.ReadBoolean()),
                PreparedManifest => new IncomingProtocol.Prepared(Mig(r), ReadRef(r),
                    ReadList(r, x => new IncomingProtocol.Loader(Dev(x), ReadRef(x)))),
                RefusedManifest => new IncomingProtocol.Refused(Mig(r), r.ReadString()),
                StopCopyManifest => new IncomingProtocol.StopCopyStarted(Mig(r)),
                ReadyManifest => new IncomingProtocol.ReadyToStart(Mig(r),
                    ReadList(r, x => new IncomingProtocol.DigestOf(Dev(x), new DeviceDigest(x.ReadString())))),
                FailedManifest => new IncomingProtocol.Failed(Mig(r), r.ReadString()),
                CommitManifest => new IncomingProtocol.Commit(Mig(r), r.ReadInt64(), Recorded: r.ReadBoolean()),
                RunningManifest => new IncomingProtocol.Running(Mig(r)),
                AbortManifest => new IncomingProtocol.Abort(Mig(r), r.ReadString()),
                _ => throw new SerializationException($"Unknown migration wire manifest '{manifest}'"),
            };
        }
        catch (EndOfStreamException e)
        {
            throw new SerializationException($"Truncated migration wire message '{manifest}'", e);
        }
    }

    // Chunk layout: [version][migration][device][seq:int64][payload length:int32][payload]. The header is
    // written by hand so the payload is copied once.
    private static byte[] ChunkToBinary(PrecopyProtocol.Chunk chunk)
    {
        var migration = Encoding.UTF8.GetBytes(chunk.Migration.Value);
        var device = Encoding.UTF8.GetBytes(chunk.Device.Value);
        var bytes = new byte[1 + 2 + migration.Length + 2 + device.Length + 8 + 4 + chunk.Payload.Length];
        var span = bytes.AsSpan();
        span[0] = Version;
        var at = 1;
        at = WriteShortBytes(span, at, migration);
        at = WriteShortBytes(span, at, device);
        BitConverter.TryWriteBytes(span[at..], chunk.Seq); at += 8;
        BitConverter.TryWriteBytes(span[at..], chunk.Payload.Length); at += 4;
        chunk.Payload.CopyTo(span[at..]);
        return bytes;
    }

    private static PrecopyProtocol.Chunk ChunkFromBinary(byte[] bytes)
    {
        try
        {
            ReadOnlySpan<byte> span = bytes;
            var at = 1;
            var migration = ReadShortString(span, ref at);
            var device = ReadShortString(span, ref at);
            var seq = BitConverter.ToInt64(span[at..]); at += 8;
            var length = BitConverter.ToInt32(span[at..]); at += 4;
            if (length < 0 || at + length != bytes.Length)
                throw new SerializationException($"Chunk payload length {length} does not match the frame");
            return new PrecopyProtocol.Chunk(new MigrationId(migration), new DeviceName(device), seq, span.Slice(at, length).ToArray());
        }
        catch (ArgumentOutOfRangeException e)
        {
            throw new SerializationException("Truncated chunk", e);
        }
    }

    private static int WriteShortBytes(Span<byte> span, int at, byte[] value)
    {
        if (value.Length > ushort.MaxValue)
            throw new ArgumentException("identifier too long");
        BitConverter.TryWriteBytes(span[at..], (ushort)value.Length);
        value.CopyTo(span[(at + 2)..]);
        return at + 2 + value.Length;
    }

    private static string ReadShortString(ReadOnlySpan<byte> span, ref int at)
    {
        var length = BitConverter.ToUInt16(span[at..]);
        var value = Encoding.UTF8.GetString(span.Slice(at + 2, length));
        at += 2 + length;
        return value;
    }

    private static MigrationId Mig(BinaryReader r) => new(r.ReadString());

    private static DeviceName Dev(BinaryReader r) => new(r.ReadString());

    private static void WriteSpec(BinaryWriter w, VmSpec spec)
    {
        w.Write(spec.Name);
        WriteList(w, spec.Devices, (x, d) =>
        {
            x.Write((byte)d.Kind); x.Write(d.Name.Value); x.Write(d.SizeBytes); x.Write(d.DirtyRate);
            x.Write(d.AllocationTime.Ticks); x.Write(d.Precopy);
        });
        w.Write(spec.Workload.DirtyRate); w.Write((byte)spec.Workload.Pattern); w.Write(spec.Workload.Seed);
    }

    private static VmSpec ReadSpec(BinaryReader r)
    {
        var name = r.ReadString();
        var devices = ReadList(r, x => new DeviceSpec(
            (DeviceKind)x.ReadByte(), new DeviceName(x.ReadString()), x.ReadInt64(), x.ReadInt64(),
            TimeSpan.FromTicks(x.ReadInt64()), x.ReadBoolean()));
        var workload = new WorkloadSpec(r.ReadInt64(), (DirtyPattern)r.ReadByte(), r.ReadInt32());
        return new VmSpec(name, devices, workload);
    }

    private static void WriteRef(BinaryWriter w, IActorRef actorRef) => w.Write(Serialization.SerializedActorPath(actorRef));

    private IActorRef ReadRef(BinaryReader r) => system.Provider.ResolveActorRef(r.ReadString());

    private static void WriteList<T>(BinaryWriter w, IReadOnlyList<T> items, Action<BinaryWriter, T> write)
    {
        w.Write(items.Count);
        foreach (var item in items)
            write(w, item);
    }

    private static IReadOnlyList<T> ReadList<T>(BinaryReader r, Func<BinaryReader, T> read)
    {
        var count = r.ReadInt32();
        if (count < 0 || count > 4096)
            throw new SerializationException($"List of {count} items in a migration wire message");
        var items = new T[count];
        for (var i = 0; i < count; i++)
            items[i] = read(r);
        return items;
    }
}
