using System.Text.Json.Nodes;

namespace Orchestrator.Cli.Commands;

/// <summary><c>migrate-set-parameters NAME PARAM=VALUE ...</c> (QEMU's), values as strings: the node checks them with QEMU's texts.</summary>
internal static class SetParametersCommand
{
    public static async Task<int> Run(IReadOnlyList<string> args, ClientContext c)
    {
        var a = Arguments.Parse(args, [], [], positionals: true);
        var name = a.Positional(0, "VM name: migrate-set-parameters NAME PARAM=VALUE ...");
        if (a.Positionals.Count < 2)
            throw new UsageException("Missing PARAM=VALUE: e.g. migrate-set-parameters vm1 max-bandwidth=1048576");
        var body = new JsonObject();
        foreach (var setting in a.Positionals.Skip(1))
        {
            var (parameter, value) = Setting.Split(setting, "PARAM=VALUE");
            body[parameter] = value;
        }
        var parameters = (await c.Api.Post($"/vms/{ApiClient.Segment(name)}/parameters", body, c.Cancel)).Object("parameters");
        c.Out.WriteLine($"Migration parameters of {name}:");
        foreach (var (parameter, value) in parameters)
            c.Out.WriteLine($"  {parameter,-28} {value.Text()}");
        return 0;
    }
}
