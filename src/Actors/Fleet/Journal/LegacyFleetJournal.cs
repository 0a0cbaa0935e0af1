using System.Runtime.Serialization;
using static Orchestrator.Actors.Fleet.Journal.FleetEvents;

namespace Orchestrator.Actors.Fleet.Journal;

/// <summary>
/// Reads fleet journals written before the event contracts (up to 2026-11-29): entries under the host wire serializer, manifest the
/// C# type's name ("MigrationQueued"), embedding the protocol's records. Each is read in its old shape and upcast to today's contract,
/// so an upgraded node recovers its queued moves, jobs, drained hosts, placement and history. Tests/Fleet/Journals holds one from a real cluster.
/// </summary>
internal static class LegacyFleetJournal
{
    private static readonly JsonSerializerOptions Options = new() { IncludeFields = true };

    /// <summary>The manifests old builds wrote; the host wire serializer hands these here.</summary>
    public static readonly IReadOnlySet<string> Manifests = new HashSet<string>
    {
        "MigrationQueued", "PermitGranted", "MigrationEnded", "DrainingChanged", "EvacuationBegan",
        "RetryScheduled", "RetryDropped", "EvacuationEnded", "PlacementSeen", "FleetSnapshot",
    };

    public static object Read(byte[] bytes, string manifest)
    {
        try
        {
            return manifest switch
            {
                "MigrationQueued" => Parse<OldQueued>(bytes).Upcast(),
                "PermitGranted" => Parse<OldGranted>(bytes).Upcast(),
                "MigrationEnded" => Parse<OldEnded>(bytes).Upcast(),
                "DrainingChanged" => Parse<DrainingChanged>(bytes),
                "EvacuationBegan" => Parse<EvacuationBegan>(bytes),
                "RetryScheduled" => Parse<RetryScheduled>(bytes),
                "RetryDropped" => Parse<RetryDropped>(bytes),
                "EvacuationEnded" => Parse<EvacuationEnded>(bytes),
                "PlacementSeen" => Parse<PlacementSeen>(bytes),
                "FleetSnapshot" => Parse<OldSnapshot>(bytes).Upcast(),
                _ => throw new SerializationException($"'{manifest}' is not a fleet journal entry of an older build"),
            };
        }
        catch (Exception e) when (e is JsonException or FormatException or KeyNotFoundException)
        {
            throw new SerializationException($"Malformed fleet journal entry '{manifest}' (written before 2026-11-29): {e.Message}", e);
        }
    }

    private static T Parse<T>(byte[] bytes) =>
        JsonSerializer.Deserialize<T>(bytes, Options) ?? throw new FormatException("empty entry");

    // ---- the old shapes: only what recovery needs, enums as the names they were written with ----

    private sealed record OldId(string Value);

    private sealed record OldRecord(
        OldId Id, string Vm, string Source, string Destination, string Status,
        long Transferred, long Remaining, long Iteration, int Percent, string? Reason, string Kind, DateTimeOffset AdmittedAt);

    private sealed record OldCapabilities(bool ReturnPath, bool SwitchoverAck, bool PauseBeforeSwitchover, bool AutoConverge)
    {
        public string ToList() => new Migration.MigrationCapabilities(ReturnPath, SwitchoverAck, PauseBeforeSwitchover, AutoConverge).ToString();
    }

    private sealed record OldSetting(string Item1, string Item2);

    private sealed record OldQueued(OldRecord Record, long Size, OldCapabilities? Capabilities, IReadOnlyList<OldSetting>? Parameters, string OnTimeout, string? Evacuation)
    {
        public MigrationQueued Upcast() => new(
            Record.Id.Value, Record.Vm, Record.Source, Record.Destination, Record.Kind.ToLowerInvariant(), Size, Record.AdmittedAt,
            Capabilities?.ToList(), Parameters?.Select(p => new Setting(p.Item1, p.Item2)).ToArray(), OnTimeout.ToLowerInvariant(), Evacuation);
    }

    private sealed record OldGranted(string Vm, OldId Id, DateTimeOffset At)
    {
        public PermitGranted Upcast() => new(Vm, Id.Value, At);
    }

    private sealed record OldRam(long Total, long DirtySyncCount);

    private sealed record OldFinal(DateTimeOffset StartedAt, long TotalTime, long SetupTime, long? Downtime, OldRam? Ram);

    private sealed record OldEnded(OldRecord Record, OldFinal? Final)
    {
        public MigrationEnded Upcast() => new(Record.Vm, Record.Id.Value, Outcome(Record, Final));
    }

    private static MigrationOutcome Outcome(OldRecord r, OldFinal? f) => new(
        Status(r.Status), r.Reason, r.Transferred, r.Remaining, r.Iteration, r.Percent,
        f?.StartedAt, f?.TotalTime, f?.Downtime, f?.SetupTime, f?.Ram?.Total);

    /// <summary>MigrationStatus as System.Text.Json wrote it ("PreSwitchover") to QEMU's name ("pre-switchover").</summary>
    private static string Status(string written) =>
        Enum.TryParse<Migration.MigrationStatus>(written, out var status)
            ? Migration.MigrationStatusNames.Name(status)
            : throw new FormatException($"unknown migration status '{written}'");

    private sealed record OldActive(OldRecord Record, long Size, OldCapabilities? Capabilities, IReadOnlyList<OldSetting>? Parameters, string OnTimeout, DateTimeOffset? StartedAt);

    private sealed record OldFinished(OldRecord Record, OldFinal? Final);

    private sealed record OldJob(string Host, IReadOnlyList<string> Vms, IReadOnlyDictionary<string, int> Attempts, IReadOnlyDictionary<string, DateTimeOffset> RetryDue);

    private sealed record OldSnapshot(
        IReadOnlyList<OldActive> Active, IReadOnlyList<OldFinished> Finished, IReadOnlyList<string> Draining,
        IReadOnlyList<OldJob> Evacuations, IReadOnlyDictionary<string, string> Placement)
    {
        public FleetSnapshot Upcast()
        {
            // The old snapshot did not say which evacuation a move belonged to: the jobs' VM lists do.
            string? JobOf(string vm) => Evacuations.FirstOrDefault(j => j.Vms.Contains(vm))?.Host;
            return new FleetSnapshot(
                Active.Select(a => new ActiveEntry(
                    new OldQueued(a.Record, a.Size, a.Capabilities, a.Parameters, a.OnTimeout, JobOf(a.Record.Vm)).Upcast(), a.StartedAt, null, false)).ToArray(),
                Finished.Select(f => new FinishedEntry(
                    new OldQueued(f.Record, f.Record.Remaining + f.Record.Transferred, null, null, "Abort", null).Upcast(), Outcome(f.Record, f.Final))).ToArray(),
                Draining,
                Evacuations.Select(j => new EvacuationEntry(j.Host, j.Vms, j.Attempts, j.RetryDue)).ToArray(),
                Placement);
        }
    }
}
