using System.Runtime.Serialization;
using Akka.Serialization;
using static Orchestrator.Actors.Fleet.Journal.FleetEvents;

namespace Orchestrator.Actors.Fleet.Journal;

/// <summary>
/// The fleet journal's events and snapshots as JSON under constant, versioned manifests (<c>fleet.migration-queued.v1</c>) that name
/// the contract, never a C# type, so a rename never strands a database. An unknown manifest is refused with an error naming it.
/// </summary>
internal sealed class FleetJournalSerializer(ExtendedActorSystem system) : SerializerWithStringManifest(system)
{
    public const int Id = 4713;

    private static readonly Dictionary<Type, string> Manifests = new()
    {
        [typeof(MigrationQueued)] = "fleet.migration-queued.v1",
        [typeof(PermitGranted)] = "fleet.permit-granted.v1",
        [typeof(MigrationIntervened)] = "fleet.migration-intervened.v1",
        [typeof(MigrationEnded)] = "fleet.migration-ended.v1",
        [typeof(DrainingChanged)] = "fleet.draining-changed.v1",
        [typeof(EvacuationBegan)] = "fleet.evacuation-began.v1",
        [typeof(RetryScheduled)] = "fleet.retry-scheduled.v1",
        [typeof(RetryDropped)] = "fleet.retry-dropped.v1",
        [typeof(EvacuationEnded)] = "fleet.evacuation-ended.v1",
        [typeof(PlacementSeen)] = "fleet.placement-seen.v1",
        [typeof(FleetSnapshot)] = "fleet.snapshot.v1",
    };

    private static readonly Dictionary<string, Type> Types = Manifests.ToDictionary(m => m.Value, m => m.Key);

    private static readonly JsonSerializerOptions Options = new() { PropertyNamingPolicy = JsonNamingPolicy.KebabCaseLower };

    public override int Identifier => Id;

    public override string Manifest(object o) =>
        Manifests.TryGetValue(o.GetType(), out var manifest)
            ? manifest
            : throw new ArgumentException($"{o.GetType()} is not a fleet journal contract", nameof(o));

    public override byte[] ToBinary(object obj) => JsonSerializer.SerializeToUtf8Bytes(obj, obj.GetType(), Options);

    public override object FromBinary(byte[] bytes, string manifest)
    {
        if (!Types.TryGetValue(manifest, out var type))
            throw new SerializationException(
                $"Unknown fleet journal manifest '{manifest}': this journal was written by a newer Orchestrator; run that version or newer");
        try
        {
            return JsonSerializer.Deserialize(bytes, type, Options)
                   ?? throw new SerializationException($"Empty fleet journal entry '{manifest}'");
        }
        catch (JsonException e)
        {
            throw new SerializationException($"Malformed fleet journal entry '{manifest}': {e.Message}", e);
        }
    }
}
