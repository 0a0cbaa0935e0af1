using System.Runtime.Serialization;
using System.Text;
using Akka.Serialization;
using Orchestrator.Actors.Multifd;
using Orchestrator.Actors.Switchover;

namespace Orchestrator.Actors.Wire;

/// <summary>Compact binary encoding of every <see cref="IMigrationWire"/> message: a chunk costs one copy each way and a few dozen header bytes.</summary>
internal sealed class MigrationWireSerializer(ExtendedActorSystem system) : SerializerWithStringManifest(system)
{
    /// <summary>Outside Akka's reserved 0..40.</summary>
    public const int Id = 4711;

    private const string ChunkManifest = "C";

    /// <summary>
    /// The format's version, every message's first byte: another version (an older or newer node) is refused with an error saying so,
    /// never misread; version 1 was the first, unversioned format.
    /// </summary>
    public const byte Version = 2;

    /// <summary>How one message type travels: its manifest (constant: it is on the wire), its writer and its reader.</summary>
    /// <param name="Applies">For a type with several manifests: whether this one carries the message (a later field set picks a new
    /// manifest, so the older one keeps its meaning).</param>
    private sealed record Codec(
        string Manifest, Type Type, Action<BinaryWriter, object> Write, Func<BinaryReader, MigrationWireSerializer, object> Read, Func<object, bool>? Applies = null);

    private static Codec Of<T>(
        string manifest, Action<BinaryWriter, T> write, Func<BinaryReader, MigrationWireSerializer, T> read, Func<T, bool>? applies = null) where T : notnull =>
        new(manifest, typeof(T), (w, o) => write(w, (T)o), (r, s) => read(r, s), applies is null ? null : o => applies((T)o));

    // Chunks ("C") are framed by hand, apart from these.
    private static readonly Codec[] Codecs =
    [
        Of<PrecopyProtocol.ChunkLoaded>("CL",
            (w, m) => { w.Write(m.Migration.Value); w.Write(m.Device.Value); w.Write(m.Seq); },
            (r, _) => new(Mig(r), Dev(r), r.ReadInt64())),
        Of<SwitchoverProtocol.ExpectAcks>("EA",
            (w, m) => { w.Write(m.Migration.Value); WriteList(w, m.Devices, (x, d) => x.Write(d.Value)); },
            (r, _) => new(Mig(r), ReadList(r, Dev))),
        Of<SwitchoverProtocol.DeviceAcked>("DA", (w, m) => { w.Write(m.Migration.Value); w.Write(m.Device.Value); }, (r, _) => new(Mig(r), Dev(r))),
        Of<SwitchoverProtocol.ApprovalsQuery>("AQ", (w, m) => w.Write(m.Migration.Value), (r, _) => new(Mig(r))),
        Of<SwitchoverProtocol.Approvals>("AP",
            (w, m) =>
            {
                w.Write(m.Migration.Value);
                w.Write(m.Expected is not null);
                if (m.Expected is not null)
                    WriteList(w, m.Expected, (x, d) => x.Write(d.Value));
                WriteList(w, m.Approved, (x, d) => x.Write(d.Value));
            },
            (r, _) => new(Mig(r), r.ReadBoolean() ? ReadList(r, Dev) : null, ReadList(r, Dev))),
        Of<IncomingProtocol.Prepare>("P",
            (w, m) => { w.Write(m.Migration.Value); WriteSpec(w, m.Spec); WriteRef(w, m.Source); WriteRef(w, m.Coordinator); w.Write(m.SourceSwitchoverAck); },
            (r, s) => new(Mig(r), ReadSpec(r), s.ReadRef(r), s.ReadRef(r), SourceSwitchoverAck: r.ReadBoolean()),
            applies: m => m.MultifdChannels == 0),
        // "P" and then the multifd channel count: a source with multifd on.
        Of<IncomingProtocol.Prepare>("PM",
            (w, m) =>
            {
                w.Write(m.Migration.Value); WriteSpec(w, m.Spec); WriteRef(w, m.Source); WriteRef(w, m.Coordinator); w.Write(m.SourceSwitchoverAck);
                w.Write(m.MultifdChannels);
            },
            (r, s) => new(Mig(r), ReadSpec(r), s.ReadRef(r), s.ReadRef(r), SourceSwitchoverAck: r.ReadBoolean(), MultifdChannels: r.ReadInt32()),
            applies: m => m.MultifdChannels > 0),
        Of<IncomingProtocol.Prepared>("PD",
            (w, m) =>
            {
                w.Write(m.Migration.Value); WriteRef(w, m.Incoming);
                WriteList(w, m.Loaders, (x, l) => { x.Write(l.Device.Value); WriteRef(x, l.Ref); });
            },
            (r, s) => new(Mig(r), s.ReadRef(r), ReadList(r, x => new IncomingProtocol.Loader(Dev(x), s.ReadRef(x)))),
            applies: m => m.Multifd is null),
        // "PD" and then where the multifd channels connect.
        Of<IncomingProtocol.Prepared>("PDM",
            (w, m) =>
            {
                w.Write(m.Migration.Value); WriteRef(w, m.Incoming);
                WriteList(w, m.Loaders, (x, l) => { x.Write(l.Device.Value); WriteRef(x, l.Ref); });
                w.Write(m.Multifd!.Host); w.Write(m.Multifd.Port); w.Write(m.Multifd.Token.Hex);
            },
            (r, s) => new(Mig(r), s.ReadRef(r), ReadList(r, x => new IncomingProtocol.Loader(Dev(x), s.ReadRef(x))),
                new MultifdProtocol.Endpoint(r.ReadString(), r.ReadInt32(), new MultifdToken(r.ReadString()))),
            applies: m => m.Multifd is not null),
        Of<IncomingProtocol.Refused>("RF", (w, m) => { w.Write(m.Migration.Value); w.Write(m.Reason); }, (r, _) => new(Mig(r), r.ReadString())),
        Of<IncomingProtocol.StopCopyStarted>("SC", (w, m) => w.Write(m.Migration.Value), (r, _) => new(Mig(r))),
        Of<IncomingProtocol.ReadyToStart>("RS",
            (w, m) => { w.Write(m.Migration.Value); WriteList(w, m.DestinationDigests, (x, d) => { x.Write(d.Device.Value); x.Write(d.Digest.Hex); }); },
            (r, _) => new(Mig(r), ReadList(r, x => new IncomingProtocol.DigestOf(Dev(x), new DeviceDigest(x.ReadString()))))),
        Of<IncomingProtocol.Failed>("F", (w, m) => { w.Write(m.Migration.Value); w.Write(m.Reason); }, (r, _) => new(Mig(r), r.ReadString())),
        Of<IncomingProtocol.Commit>("CM",
            (w, m) => { w.Write(m.Migration.Value); w.Write(m.Epoch); w.Write(m.Recorded); },
            (r, _) => new(Mig(r), r.ReadInt64(), Recorded: r.ReadBoolean())),
        Of<IncomingProtocol.Running>("R", (w, m) => w.Write(m.Migration.Value), (r, _) => new(Mig(r))),
        Of<IncomingProtocol.Abort>("A", (w, m) => { w.Write(m.Migration.Value); w.Write(m.Reason); }, (r, _) => new(Mig(r), r.ReadString())),
    ];

    private static readonly Dictionary<Type, Codec[]> ByType = Codecs.GroupBy(c => c.Type).ToDictionary(g => g.Key, g => g.ToArray());
    private static readonly Dictionary<string, Codec> ByManifest = Codecs.ToDictionary(c => c.Manifest);

    public override int Identifier => Id;

    public override string Manifest(object o) =>
        o is PrecopyProtocol.Chunk ? ChunkManifest : CodecOf(o).Manifest;

    public override byte[] ToBinary(object obj)
    {
        if (obj is PrecopyProtocol.Chunk chunk)
            return ChunkToBinary(chunk);
        var codec = CodecOf(obj);
        using var stream = new MemoryStream(64);
        using (var w = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true))
        {
            w.Write(Version);
            codec.Write(w, obj);
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
        if (!ByManifest.TryGetValue(manifest, out var codec))
            throw new SerializationException($"Unknown migration wire manifest '{manifest}'");
        using var r = new BinaryReader(new MemoryStream(bytes, 1, bytes.Length - 1, writable: false), Encoding.UTF8);
        try
        {
            return codec.Read(r, this);
        }
        catch (EndOfStreamException e)
        {
            throw new SerializationException($"Truncated migration wire message '{manifest}'", e);
        }
    }

    private static Codec CodecOf(object o)
    {
        if (!ByType.TryGetValue(o.GetType(), out var codecs))
            throw new ArgumentException($"{o.GetType()} is not a migration wire message", nameof(o));
        foreach (var codec in codecs)
        {
            if (codec.Applies?.Invoke(o) ?? true)
                return codec;
        }
        throw new ArgumentException($"No manifest carries this {o.GetType().Name}", nameof(o));
    }

    // [version][migration][device][seq:int64][payload length:int32][payload]; the header by hand, so the payload is copied once, and read
    // back as a slice of the frame: Akka.Remote hands FromBinary an array of its own (protobuf's ToByteArray).
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
        chunk.Payload.Span.CopyTo(span[at..]);
        chunk.Pooled?.Release();
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
            return new PrecopyProtocol.Chunk(new MigrationId(migration), new DeviceName(device), seq, bytes.AsMemory(at, length));
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
