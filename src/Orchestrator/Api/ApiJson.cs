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
        ["devices"] = Of(vm.Devices),
    };

    public static JsonObject Capabilities(MigrationCapabilities caps) =>
        new(caps.States().Select(s => KeyValuePair.Create(s.Name, (JsonNode?)s.State)));

    public static JsonObject Parameters(MigrationParameters p) => Of(p).AsObject();

    /// <summary>A record whose properties are the fields in their order (QEMU's, where QEMU has them): their kebab-case names are the keys.</summary>
    public static JsonNode Of<T>(T record) where T : class => JsonSerializer.SerializeToNode(record, Kebab)!;

    /// <summary>Inverse of <see cref="Of{T}"/>: a missing field is its type's default.</summary>
    /// <exception cref="FormatException">A field of another type.</exception>
    public static T From<T>(JsonNode node)
    {
        try
        {
            return node.Deserialize<T>(Kebab)!;
        }
        catch (JsonException e)
        {
            throw new FormatException($"unexpected JSON: {e.Message}", e);
        }
    }

    private static readonly JsonSerializerOptions Kebab = new() { PropertyNamingPolicy = JsonNamingPolicy.KebabCaseLower };
}
