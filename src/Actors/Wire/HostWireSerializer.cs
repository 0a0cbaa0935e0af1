using System.Runtime.Serialization;
using System.Text.Json.Serialization;
using Akka.Serialization;
using Orchestrator.Actors.Faults;
using Orchestrator.Actors.Fencing;

namespace Orchestrator.Actors.Wire;

/// <summary>JSON for control-plane messages, allow-listed by short manifests: a peer never names an arbitrary .NET type (unlike Akka's default).</summary>
internal sealed class HostWireSerializer(ExtendedActorSystem system) : SerializerWithStringManifest(system)
{
    public const int Id = 4712;

    private static readonly Type[] Allowed =
    [
        typeof(HostProtocol.CreateVm), typeof(HostProtocol.DeleteVm), typeof(HostProtocol.ResumeVm), typeof(HostProtocol.ListVms), typeof(HostProtocol.VmList),
        typeof(HostProtocol.GetStatus), typeof(HostProtocol.HostStatus),
        typeof(HostProtocol.SetIncomingCapabilities), typeof(HostProtocol.ChangeIncomingCapabilities), typeof(HostProtocol.IncomingCapabilitiesOf),
        typeof(HostProtocol.ChangeIncomingParameters), typeof(HostProtocol.IncomingParametersOf),
        typeof(HostProtocol.SetCapabilities), typeof(HostProtocol.SetParameters), typeof(HostProtocol.GetMigrationSettings),
        typeof(HostProtocol.MigrationSettingsOf), typeof(HostProtocol.Migrate), typeof(HostProtocol.MigrationStarted),
        typeof(HostProtocol.QueryMigrate), typeof(HostProtocol.NoMigration), typeof(HostProtocol.MigrateCancel),
        typeof(HostProtocol.MigrateContinue), typeof(HostProtocol.SetDraining), typeof(HostProtocol.PauseGuest), typeof(CommandResult), typeof(MigrationInfo),
        typeof(FleetProtocol.RequestMigration), typeof(FleetProtocol.MigrationAdmitted), typeof(FleetProtocol.Evacuate),
        typeof(FleetProtocol.EvacuationStarted), typeof(FleetProtocol.CancelEvacuation), typeof(FleetProtocol.Undrain),
        typeof(FleetProtocol.ListMigrations), typeof(FleetProtocol.MigrationList), typeof(FleetProtocol.GetPermits),
        typeof(FleetProtocol.Permits), typeof(FleetProtocol.Rebalance), typeof(FleetProtocol.CancelQueued), typeof(FleetProtocol.RebalanceStarted),
        typeof(FleetProtocol.GetFinal), typeof(FleetProtocol.FinalOf), typeof(FleetProtocol.MigrationReport),
        // Fencing: the ownership ledger's conversation, journal and snapshot.
        typeof(OwnershipProtocol.Commit), typeof(OwnershipProtocol.Resolve),
        typeof(OwnershipProtocol.Committed), typeof(OwnershipProtocol.Fenced), typeof(OwnershipProtocol.Refused),
        typeof(OwnershipProtocol.GetOwner), typeof(OwnershipProtocol.OwnerOf), typeof(OwnershipProtocol.OwnershipMoved),
        typeof(OwnershipProtocol.EpochFenced), typeof(OwnershipProtocol.OwnershipSnapshot),
        typeof(OwnershipProtocol.ReserveName), typeof(OwnershipProtocol.NameReserved), typeof(OwnershipProtocol.NameRefused),
        typeof(OwnershipProtocol.ClaimName), typeof(OwnershipProtocol.NameClaimed), typeof(OwnershipProtocol.ReleaseName),
        typeof(OwnershipProtocol.VmCreated),
        // Fault injection (test-only, drills across processes): only a node with faults enabled obeys it.
        typeof(FaultsProtocol.Die),
    ];

    private static readonly Dictionary<Type, string> Manifests = Allowed.ToDictionary(t => t, t => t.Name);
    private static readonly Dictionary<string, Type> Types = Allowed.ToDictionary(t => t.Name, t => t);

    private static readonly JsonSerializerOptions Options = new()
    {
        IncludeFields = true, // value tuples carry capability and parameter changes
        Converters = { new AddressConverter(), new JsonStringEnumConverter() },
    };

    public override int Identifier => Id;

    public override string Manifest(object o) =>
        Manifests.TryGetValue(o.GetType(), out var manifest)
            ? manifest
            : throw new ArgumentException($"{o.GetType()} is not an allowed host wire message", nameof(o));

    public override byte[] ToBinary(object obj) => JsonSerializer.SerializeToUtf8Bytes(obj, obj.GetType(), Options);

    public override object FromBinary(byte[] bytes, string manifest)
    {
        // Fleet journals written before the event contracts stored their entries through this serializer.
        if (LegacyFleetJournal.Manifests.Contains(manifest))
            return LegacyFleetJournal.Read(bytes, manifest);
        if (!Types.TryGetValue(manifest, out var type))
            throw new SerializationException($"Unknown host wire manifest '{manifest}'");
        try
        {
            return JsonSerializer.Deserialize(bytes, type, Options)
                   ?? throw new SerializationException($"Empty host wire message '{manifest}'");
        }
        catch (JsonException e)
        {
            throw new SerializationException($"Malformed host wire message '{manifest}': {e.Message}", e);
        }
    }

    private sealed class AddressConverter : JsonConverter<Address>
    {
        public override Address Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            Address.Parse(reader.GetString() ?? throw new JsonException("address expected"));

        public override void Write(Utf8JsonWriter writer, Address value, JsonSerializerOptions options) =>
            writer.WriteStringValue(value.ToString());
    }
}
