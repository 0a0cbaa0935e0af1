namespace Orchestrator.Cli.Commands;

/// <summary><c>migrate-set-capabilities --host HOST CAP=on|off ...</c>: a host's destination capabilities; the node judges the names.</summary>
internal static class SetCapabilitiesCommand
{
    public static async Task<int> Run(IReadOnlyList<string> args, ClientContext c)
    {
        var a = Arguments.Parse(args, ["--host"], [], positionals: true);
        var host = a.Required("--host");
        if (a.Positionals.Count == 0)
            throw new UsageException("Missing CAP=on|off: e.g. migrate-set-capabilities --host host2 switchover-ack=off");
        var body = new JsonObject();
        foreach (var setting in a.Positionals)
        {
            var (name, value) = Setting.Split(setting, "CAP=on|off");
            body[name] = value switch
            {
                "on" => true,
                "off" => false,
                _ => throw new UsageException($"Invalid value '{value}' for capability '{name}': use on or off"),
            };
        }
        var capabilities = (await c.Api.Post($"/hosts/{ApiClient.Segment(host)}/capabilities", body, c.Cancel)).Object("capabilities");
        c.Out.WriteLine($"Capabilities of {host} as a migration destination:");
        foreach (var (name, state) in capabilities)
            c.Out.WriteLine($"  {name,-24} {(state is JsonValue v && v.TryGetValue<bool>(out var on) ? on ? "on" : "off" : state?.ToJsonString())}");
        return 0;
    }
}

/// <summary><c>NAME=VALUE</c> arguments of the migrate-set-* commands.</summary>
internal static class Setting
{
    public static (string Name, string Value) Split(string argument, string form)
    {
        var eq = argument.IndexOf('=');
        if (eq <= 0)
            throw new UsageException($"Invalid argument '{argument}': use {form}");
        return (argument[..eq], argument[(eq + 1)..]);
    }
}
