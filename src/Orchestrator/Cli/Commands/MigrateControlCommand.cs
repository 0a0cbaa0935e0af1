namespace Orchestrator.Cli.Commands;

/// <summary><c>migrate-cancel NAME</c> and <c>migrate-continue NAME</c>: QEMU's migrate_cancel and migrate-continue.</summary>
internal static class MigrateControlCommand
{
    public static Task<int> Cancel(IReadOnlyList<string> args, ClientContext c) =>
        Send(args, c, "cancel", name => $"migrate-cancel sent for {name}: 'orchestrator query-migrate {name}' shows how it ended");

    public static Task<int> Continue(IReadOnlyList<string> args, ClientContext c) =>
        Send(args, c, "continue", name => $"migrate-continue sent for {name}: the migration leaves pre-switchover");

    private static Task<int> Send(IReadOnlyList<string> args, ClientContext c, string action, Func<string, string> done) =>
        c.Send(args, $"VM name: migrate-{action} NAME", name => c.Api.Post($"/vms/{ApiClient.Segment(name)}/migration/{action}", null, c.Cancel), done);
}
