namespace Orchestrator.Cli.Commands;

/// <summary><c>orchestrator vm create|list|show|delete|resume</c>: the cluster's VMs (/vms).</summary>
internal static class VmCommand
{
    private static readonly string[] CreateOptions = ["--host", "--ram", "--vfio", "--vfio-alloc", "--vgpu", "--dirty-rate"];

    public static Task<int> Run(IReadOnlyList<string> args, ClientContext c)
    {
        var rest = args.Skip(1).ToArray();
        return args.FirstOrDefault() switch
        {
            "create" => Create(rest, c),
            "list" => List(rest, c),
            "show" => Show(rest, c),
            "delete" => Delete(rest, c),
            "resume" => Resume(rest, c),
            null => throw new UsageException("Missing vm subcommand: create, list, show, delete or resume"),
            var other => throw new UsageException($"Unknown vm subcommand '{other}': use create, list, show, delete or resume"),
        };
    }

    /// <summary>Sizes are parsed here, so a bad one fails before any request; the body carries plain byte counts.</summary>
    private static async Task<int> Create(IReadOnlyList<string> args, ClientContext c)
    {
        var a = Arguments.Parse(args, CreateOptions, [], positionals: true).WithAtMostPositionals(1);
        var body = new JsonObject
        {
            ["name"] = a.Positional(0, "VM name: vm create NAME --host HOST"),
            ["host"] = a.Required("--host"),
        };
        if (a.Value("--ram") is { } ramText)
        {
            var ram = ByteUnits.ParseSize(ramText, "--ram");
            body["ram"] = Orchestrator.Devices.Ram.RamSize.Problem(ram, "--ram") is { } badRam ? throw new UsageException(badRam) : ram;
        }
        if (a.Value("--vfio") is { } vfio)
            body["vfio"] = ByteUnits.ParseSize(vfio, "--vfio");
        if (a.Value("--vfio-alloc") is { } alloc)
            body["vfio-alloc"] = (long)ByteUnits.ParseDuration(alloc, "--vfio-alloc").TotalMilliseconds;
        if (a.Value("--vgpu") is { } vgpu)
            body["vgpu"] = ByteUnits.ParseSize(vgpu, "--vgpu");
        if (a.Value("--dirty-rate") is { } rate)
            body["dirty-rate"] = ByteUnits.ParseRate(rate, "--dirty-rate");
        var vm = await c.Api.Post("/vms", body, c.Cancel);
        c.Out.WriteLine($"VM {vm.Text("name")} created");
        c.WriteLines(Describe(vm));
        return 0;
    }

    private static Task<int> List(IReadOnlyList<string> args, ClientContext c) => c.Table(args, "/vms", "VMs",
        ["NAME", "HOST", "STATE", "RAM", "DEVICES"],
        vm => [vm.Text("name"), vm.Text("host"), vm.Text("state"), vm.Size("ram"), Devices(vm)],
        "no VMs: create one with 'orchestrator vm create NAME --host HOST'");

    private static async Task<int> Show(IReadOnlyList<string> args, ClientContext c)
    {
        var a = Arguments.Parse(args, [], ["--json"], positionals: true).WithAtMostPositionals(1);
        var vm = await c.Api.Get($"/vms/{ApiClient.Segment(a.Positional(0, "VM name: vm show NAME"))}", c.Cancel);
        if (a.Has("--json"))
            c.WriteJson(vm);
        else
            c.WriteLines(Describe(vm));
        return 0;
    }

    private static Task<int> Delete(IReadOnlyList<string> args, ClientContext c) => c.Send(args, "VM name: vm delete NAME",
        name => c.Api.Delete($"/vms/{ApiClient.Segment(name)}", c.Cancel), name => $"VM {name} deleted");

    /// <summary>QEMU's <c>cont</c>; a VM paused because its ownership was unknown resumes only if the ledger fences its last migration.</summary>
    private static Task<int> Resume(IReadOnlyList<string> args, ClientContext c) => c.Send(args, "VM name: vm resume NAME",
        name => c.Api.Post($"/vms/{ApiClient.Segment(name)}/resume", new JsonObject(), c.Cancel), name => $"VM {name} running");

    private static IEnumerable<string> Describe(JsonNode? vm)
    {
        yield return $"VM {vm.Text("name")}: {vm.Text("state")} on {vm.Text("host")}, RAM {vm.Size("ram")}";
        foreach (var d in (vm?["devices"] as JsonArray ?? []))
            yield return $"  {d.Text("name"),-14} {d.Text("kind"),-5} {d.Size("size"),10}";
        if (vm?["migration-settings"] is JsonObject settings)
        {
            var on = (settings["capabilities"] as JsonObject ?? []).Where(c => c.Value?.GetValue<bool>() == true).Select(c => c.Key).ToArray();
            yield return $"  migration capabilities: {(on.Length == 0 ? "none" : string.Join(",", on))}";
            yield return $"  migration parameters:   {string.Join(" ", (settings["parameters"] as JsonObject ?? []).Select(p => $"{p.Key}={p.Value}"))}";
        }
    }

    /// <summary>The devices besides RAM (which has its own column), e.g. <c>0000:17:00.2 vfio 300.0 MiB</c>.</summary>
    private static string Devices(JsonNode? vm)
    {
        var devices = (vm?["devices"] as JsonArray ?? [])
            .Where(d => d.Text("kind") != "ram")
            .Select(d => $"{d.Text("name")} {d.Text("kind")} {d.Size("size")}")
            .ToArray();
        return devices.Length == 0 ? "-" : string.Join(", ", devices);
    }
}
