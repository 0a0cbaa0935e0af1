using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Orchestrator.Actors.Migration;

namespace Orchestrator.Output;

/// <summary>query-migrate as JSON with QEMU's field names (plus our per-device view and VM states).</summary>
public static class QueryMigrateJson
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>QEMU answers <c>{}</c> before any migration.</summary>
    public static JsonObject ToJson(MigrationInfo? info)
    {
        if (info is null)
            return [];
        var ram = info.Ram;
        return new JsonObject
        {
            ["id"] = info.Id.Value,
            ["status"] = info.Status.Name(),
            ["total-time"] = info.TotalTime,
            ["setup-time"] = info.SetupTime,
            ["downtime"] = info.Downtime,
            ["expected-downtime"] = info.ExpectedDowntime,
            ["error-desc"] = info.ErrorDesc,
            ["cpu-throttle-percentage"] = info.CpuThrottlePercentage,
            ["ram"] = new JsonObject
            {
                ["transferred"] = ram.Transferred,
                ["remaining"] = ram.Remaining,
                ["total"] = ram.Total,
                ["duplicate"] = ram.Duplicate,
                ["normal"] = ram.Normal,
                ["normal-bytes"] = ram.NormalBytes,
                ["dirty-pages-rate"] = ram.DirtyPagesRate,
                ["mbps"] = ram.Mbps,
                ["dirty-sync-count"] = ram.DirtySyncCount,
                ["page-size"] = ram.PageSize,
                ["pages-per-second"] = ram.PagesPerSecond,
                ["precopy-bytes"] = ram.PrecopyBytes,
                ["downtime-bytes"] = ram.DowntimeBytes,
            },
            ["devices"] = new JsonArray(info.Devices.Select(d => (JsonNode)new JsonObject
            {
                ["name"] = d.Name,
                ["kind"] = d.Kind,
                ["transferred"] = d.Transferred,
                ["remaining"] = d.Remaining,
                ["switchover-ack"] = d.SwitchoverAck,
                ["acked-at"] = d.AckedAt,
                ["window"] = d.Window,
                ["max-in-flight"] = d.MaxInFlight,
                ["source-digest"] = d.SourceDigest,
                ["destination-digest"] = d.DestinationDigest,
            }).ToArray()),
            ["transferred"] = info.Transferred,
            ["remaining"] = info.Remaining,
            ["pending-acks"] = info.PendingAcks,
            ["source-vm"] = info.SourceVm,
            ["destination-vm"] = info.DestinationVm,
            ["verified"] = info.Verified,
        };
    }

    public static string Render(MigrationInfo? info) => ToJson(info).ToJsonString(Indented);
}
