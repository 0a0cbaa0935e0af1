namespace Orchestrator.Cli.Commands;

/// <summary><c>orchestrator query-migrate NAME [--json]</c>: QEMU's query-migrate for the VM's latest migration.</summary>
internal static class QueryMigrateCommand
{
    public static async Task<int> Run(IReadOnlyList<string> args, ClientContext c)
    {
        var a = Arguments.Parse(args, [], ["--json"], positionals: true).WithAtMostPositionals(1);
        var name = a.Positional(0, "VM name: query-migrate NAME");
        var json = (await c.Api.Get($"/vms/{ApiClient.Segment(name)}/migration", c.Cancel)).Object("query-migrate");
        if (a.Has("--json"))
        {
            c.WriteJson(json);
            return 0;
        }
        // A migration waiting for a permit is only an admission yet: nothing to report but where it goes.
        if ((string?)json["status"] == "queued")
        {
            c.Out.WriteLine($"Migration {(string?)json["id"]} of {name}: queued (waiting for a permit), {(string?)json["source"]} -> {(string?)json["destination"]}");
            return 0;
        }
        if (QueryMigrateJson.FromJson(json) is not { } info)
        {
            c.Out.WriteLine($"VM {name} has no migration yet");
            return 0;
        }
        if (!info.Status.IsTerminal())
            c.Out.WriteLine(ProgressView.Line(info));
        c.WriteLines(ProgressView.Summary(info).SkipWhile(line => line.Length == 0));
        return 0;
    }
}
