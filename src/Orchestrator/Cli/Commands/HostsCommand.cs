using Orchestrator.Output;

namespace Orchestrator.Cli.Commands;

/// <summary><c>orchestrator hosts [--json]</c>: the cluster's members (GET /hosts).</summary>
internal static class HostsCommand
{
    public static async Task<int> Run(IReadOnlyList<string> args, ClientContext c)
    {
        var a = Arguments.Parse(args, [], ["--json"]);
        var hosts = await c.Api.Get("/hosts", c.Cancel);
        if (a.Has("--json"))
        {
            c.WriteJson(hosts);
            return 0;
        }
        c.WriteLines(TextTable.Render(
            ["NAME", "STATUS", "CAPACITY", "USED", "VMS", "ADDRESS"],
            hosts.Array("hosts").Select(h => (IReadOnlyList<string>)
                [h.Text("name"), h.Text("status"), h.Size("capacity"), h.Size("used"), h.Text("vms"), h.Text("address")])));
        return 0;
    }
}
