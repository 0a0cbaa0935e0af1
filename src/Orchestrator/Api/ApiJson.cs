using System.Text.Json.Nodes;
using Orchestrator.Actors.Host;
using Orchestrator.Actors.Migration;

namespace Orchestrator.Api;

/// <summary>The API's JSON shapes (docs/api.md), kebab-case as in QEMU.</summary>
public static class ApiJson
{
    public static JsonObject Vm(string host, HostProtocol.VmSummary vm) => new()
    {
        ["name"] = vm.Name,
        ["host"] = host,
        ["state"] = vm.State,
        ["epoch"] = vm.Epoch,
        ["ram"] = vm.RamBytes,
        ["devices"] = new JsonArray(vm.Devices.Select(d => (JsonNode)new JsonObject
        {
            ["name"] = d.Name,
            ["kind"] = d.Kind,
            ["size"] = d.Size,
        }).ToArray()),
    };

    public static JsonObject Capabilities(MigrationCapabilities caps) =>
        new(caps.States().Select(s => KeyValuePair.Create(s.Name, (JsonNode?)s.State)));

    public static JsonObject Parameters(MigrationParameters p) => new()
    {
        ["downtime-limit"] = p.DowntimeLimit,
        ["max-bandwidth"] = p.MaxBandwidth,
        ["avail-switchover-bandwidth"] = p.AvailSwitchoverBandwidth,
        ["throttle-trigger-threshold"] = p.ThrottleTriggerThreshold,
        ["cpu-throttle-initial"] = p.CpuThrottleInitial,
        ["cpu-throttle-increment"] = p.CpuThrottleIncrement,
        ["max-cpu-throttle"] = p.MaxCpuThrottle,
        ["switchover-ack-timeout"] = p.SwitchoverAckTimeout,
    };
}
