using System.Text.Encodings.Web;

namespace Orchestrator.Output;

/// <summary>query-migrate as JSON with QEMU's field names (plus our per-device view and VM states).</summary>
public static class QueryMigrateJson
{
    /// <summary>For people: indented, names and error texts as written (don't, +), not as \u0027 escapes.</summary>
    public static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>QEMU answers <c>{}</c> before any migration.</summary>
    public static JsonObject ToJson(MigrationInfo? info)
    {
        if (info is null)
            return [];
        return new JsonObject
        {
            ["id"] = info.Id.Value,
            ["started-at"] = info.StartedAt.ToString("O", System.Globalization.CultureInfo.InvariantCulture),
            ["status"] = info.Status.Name(),
            ["total-time"] = info.TotalTime,
            ["setup-time"] = info.SetupTime,
            ["downtime"] = info.Downtime,
            ["expected-downtime"] = info.ExpectedDowntime,
            ["error-desc"] = info.ErrorDesc,
            ["cpu-throttle-percentage"] = info.CpuThrottlePercentage,
            ["ram"] = Api.ApiJson.Of(info.Ram),
            ["devices"] = Api.ApiJson.Of(info.Devices),
            ["transferred"] = info.Transferred,
            ["remaining"] = info.Remaining,
            ["pending-acks"] = info.PendingAcks,
            ["source-vm"] = info.SourceVm,
            ["destination-vm"] = info.DestinationVm,
            ["verified"] = info.Verified,
        };
    }

    /// <summary>query-migrate of a migration only the fleet's journal knows (source gone): the outcome it keeps, same names, other fields left out.</summary>
    public static JsonObject ToJson(MigrationId id, Actors.Fleet.Journal.FleetEvents.MigrationOutcome outcome) => new()
    {
        ["id"] = id.Value,
        ["started-at"] = outcome.StartedAt?.ToString("O", System.Globalization.CultureInfo.InvariantCulture),
        ["status"] = outcome.Status,
        ["total-time"] = outcome.TotalTime,
        ["setup-time"] = outcome.SetupTime,
        ["downtime"] = outcome.Downtime,
        ["error-desc"] = outcome.Reason,
        ["ram"] = new JsonObject
        {
            ["transferred"] = outcome.Transferred,
            ["remaining"] = outcome.Remaining,
            ["total"] = outcome.Total,
            ["dirty-sync-count"] = outcome.Iteration,
        },
        ["transferred"] = outcome.Transferred,
        ["remaining"] = outcome.Remaining,
    };

    public static string Render(MigrationInfo? info) => ToJson(info).ToJsonString(Indented);

    /// <summary>Inverse of <see cref="ToJson"/> (CLI): <c>{}</c> is null, missing fields 0 or null, unknown status <see cref="FormatException"/>.</summary>
    public static MigrationInfo? FromJson(JsonObject json)
    {
        if (json.Count == 0)
            return null;
        var ram = json["ram"] as JsonObject ?? [];
        var status = Get<string>(json, "status") ?? "none";
        return new MigrationInfo(
            new MigrationId(Get<string>(json, "id") ?? ""),
            DateTimeOffset.TryParse(Get<string>(json, "started-at"), System.Globalization.CultureInfo.InvariantCulture, out var startedAt) ? startedAt : default,
            Enum.GetValues<MigrationStatus>().Where(s => s.Name() == status).Cast<MigrationStatus?>().FirstOrDefault()
                ?? throw new FormatException($"unknown migration status '{status}'"),
            Get<long>(json, "total-time"),
            Get<long>(json, "setup-time"),
            Get<long?>(json, "downtime"),
            Get<long?>(json, "expected-downtime"),
            Get<string>(json, "error-desc"),
            Get<int>(json, "cpu-throttle-percentage"),
            Api.ApiJson.From<RamInfo>(ram),
            Api.ApiJson.From<DeviceInfo[]>(json["devices"] ?? new JsonArray()),
            Get<string>(json, "source-vm") ?? "",
            Get<string>(json, "destination-vm") ?? "",
            Get<bool>(json, "verified"),
            Get<int>(json, "pending-acks"),
            Get<long>(json, "transferred"),
            Get<long>(json, "remaining"),
            Get<double>(ram, "mbps"));
    }

    private static T? Get<T>(JsonObject json, string name) => json[name] switch
    {
        null => default,
        JsonValue value when value.TryGetValue<T>(out var typed) => typed,
        var other => throw new FormatException($"query-migrate field '{name}' is not a {typeof(T).Name}: {other.ToJsonString()}"),
    };
}
