namespace Orchestrator.Cli.Commands;

/// <summary><c>evacuate-cancel HOST [--abort-running]</c> and <c>undrain HOST</c>: separate steps, as in the API, so a cancel never reopens a host.</summary>
internal static class EvacuationControlCommand
{
    public static async Task<int> Cancel(IReadOnlyList<string> args, ClientContext c)
    {
        var a = Arguments.Parse(args, [], ["--abort-running"], positionals: true).WithAtMostPositionals(1);
        var host = a.Positional(0, "host name: evacuate-cancel HOST [--abort-running]");
        var abort = a.Has("--abort-running");
        await c.Api.Post($"/hosts/{ApiClient.Segment(host)}/evacuate-cancel", new JsonObject { ["abort-running"] = abort }, c.Cancel);
        c.Out.WriteLine($"evacuate-cancel sent for {host}: queued moves are withdrawn, running ones " +
                        (abort ? "are cancelled" : "finish (--abort-running cancels them)") +
                        $"; {host} stays draining until 'orchestrator undrain {host}'");
        return 0;
    }

    public static Task<int> Undrain(IReadOnlyList<string> args, ClientContext c) => c.Send(args, "host name: undrain HOST",
        host => c.Api.Post($"/hosts/{ApiClient.Segment(host)}/undrain", null, c.Cancel), host => $"{host} accepts VMs again");
}
