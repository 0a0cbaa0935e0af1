namespace Orchestrator.Cli.Commands;

/// <summary>
/// <c>migrate-set-parameters NAME PARAM=VALUE ...</c> (QEMU's) for migrations out of a VM, or <c>--host HOST PARAM=VALUE ...</c> for a
/// host as a destination (multifd-channels); values as strings: the node checks them with QEMU's texts.
/// </summary>
internal static class SetParametersCommand
{
    public static async Task<int> Run(IReadOnlyList<string> args, ClientContext c)
    {
        var a = Arguments.Parse(args, ["--host"], [], positionals: true);
        var host = a.Value("--host");
        var name = host ?? a.Positional(0, "VM name: migrate-set-parameters NAME PARAM=VALUE ... (or --host HOST PARAM=VALUE ...)");
        var settings = a.Positionals.Skip(host is null ? 1 : 0).ToArray();
        if (settings.Length == 0)
            throw new UsageException("Missing PARAM=VALUE: e.g. migrate-set-parameters vm1 max-bandwidth=1048576");
        var body = new JsonObject();
        foreach (var setting in settings)
        {
            var (parameter, value) = Setting.Split(setting, "PARAM=VALUE");
            body[parameter] = value;
        }
        var path = host is null ? $"/vms/{ApiClient.Segment(name)}/parameters" : $"/hosts/{ApiClient.Segment(host)}/parameters";
        var parameters = (await c.Api.Post(path, body, c.Cancel)).Object("parameters");
        c.Out.WriteLine(host is null ? $"Migration parameters of {name}:" : $"Parameters of {host} as a migration destination:");
        foreach (var (parameter, value) in parameters)
            c.Out.WriteLine($"  {parameter,-28} {value.Text()}");
        return 0;
    }
}
