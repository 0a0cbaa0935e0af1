namespace Orchestrator.Cli.Commands;

/// <summary><c>orchestrator hosts [--json]</c>: the cluster's members (GET /hosts).</summary>
internal static class HostsCommand
{
    public static Task<int> Run(IReadOnlyList<string> args, ClientContext c) => c.Table(args, "/hosts", "hosts",
        ["NAME", "STATUS", "CAPACITY", "USED", "VMS", "ADDRESS"],
        h => [h.Text("name"), h.Text("status"), h.Size("capacity"), h.Size("used"), h.Text("vms"), h.Text("address")]);
}
