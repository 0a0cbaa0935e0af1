using Orchestrator.Cli.Commands;

namespace Orchestrator.Cli;

/// <summary>
/// Commands to a running node's HTTP API (docs/api.md). Exit codes: 0 done (<c>migrate --wait</c>: completed; <c>evacuate --wait</c>: every move
/// completed, no VM unplaceable), 1 refused (error on stderr), unreachable, or a migration failed or was cancelled, 2 invalid arguments (nothing sent).
/// </summary>
public static class ClientCommands
{
    private static readonly Dictionary<string, Func<IReadOnlyList<string>, ClientContext, Task<int>>> Commands = new()
    {
        ["hosts"] = HostsCommand.Run,
        ["vm"] = VmCommand.Run,
        ["migrate"] = MigrateCommand.Run,
        ["query-migrate"] = QueryMigrateCommand.Run,
        ["migrate-cancel"] = MigrateControlCommand.Cancel,
        ["migrate-continue"] = MigrateControlCommand.Continue,
        ["migrate-set-capabilities"] = SetCapabilitiesCommand.Run,
        ["migrate-set-parameters"] = SetParametersCommand.Run,
        ["evacuate"] = EvacuateCommand.Run,
        ["evacuate-cancel"] = EvacuationControlCommand.Cancel,
        ["undrain"] = EvacuationControlCommand.Undrain,
        ["migrations"] = MigrationsCommand.Run,
        ["rebalance"] = RebalanceCommand.Run,
    };

    public static IReadOnlyCollection<string> Names => Commands.Keys;

    public const string Usage = """
        client commands (talk to a node's HTTP API: --api URL, else $ORCHESTRATOR_API, else http://127.0.0.1:8080):
          hosts [--json]                          the cluster's hosts: status, capacity, used, VMs
          vm create NAME --host HOST              create and start a VM; --ram SIZE  --vfio SIZE  --vfio-alloc MS
                                                  --vgpu SIZE  --dirty-rate RATE (defaults as in demo; SIZE 0 leaves a device out)
          vm list [--json]  |  vm show NAME [--json]  |  vm delete NAME  |  vm resume NAME
          migrate NAME --to HOST                  start a live migration; --capabilities LIST  --downtime-limit MS
                                                  --max-bandwidth RATE (bytes/s, 10MiB/s, 100mbit)  --switchover-ack-timeout MS
                                                  --timeout DURATION (2min, or seconds: not completed by then, the
                                                  fleet aborts it)  --timeout-action abort|pause (pause: stop the guest so it converges)
                                                  --wait (follow it to its end)  --json
          query-migrate NAME [--json]             the VM's latest migration, as QEMU's query-migrate
          migrate-cancel NAME  |  migrate-continue NAME
          migrate-set-capabilities --host HOST CAP=on|off ...    a host's capabilities as a destination
          migrate-set-parameters NAME PARAM=VALUE ...            e.g. max-bandwidth=1048576
          evacuate HOST [--wait] [--json]         drain HOST and move its VMs off; --wait follows the moves to their end
          evacuate-cancel HOST [--abort-running]  withdraw the queued moves (running ones finish, or are cancelled)
          undrain HOST                            HOST accepts VMs again after an evacuation
          migrations [--json]                     the cluster's running, queued and recent migrations
          rebalance [--max-moves N] [--json]      even out memory use across hosts (to within 10%; at most N moves, 10)
        """;

    /// <summary>Runs one client command; every error ends as a message on <paramref name="stderr"/> and an exit code.</summary>
    public static async Task<int> Run(string command, IReadOnlyList<string> args, TextWriter stdout, TextWriter stderr, CancellationToken cancel)
    {
        if (args.TakeWhile(a => a != "--").Any(a => a is "-h" or "--help"))
        {
            stdout.WriteLine(Usage);
            return 0;
        }
        try
        {
            var (api, rest) = ExtractApi(args);
            using var client = new ApiClient(ApiClient.ResolveUrl(api, Environment.GetEnvironmentVariable(ApiClient.EnvironmentVariable)));
            return Commands.TryGetValue(command, out var run)
                ? await run(rest, new ClientContext(client, stdout, stderr, cancel))
                : throw new UsageException($"Unknown command '{command}' (client commands: {string.Join(", ", Names.Order())})");
        }
        catch (Exception e) when (Exit(e, cancel) is var (code, message))
        {
            stderr.WriteLine(message);
            return code;
        }
    }

    private static (int Code, string Message)? Exit(Exception e, CancellationToken cancel) => e switch
    {
        UsageException or MigrationArgumentException => (2, e.Message),
        // The node checked the input and refused it: a usage error like any the CLI finds itself.
        ApiException { Status: 400 } => (2, e.Message),
        ApiException or ApiUnreachableException => (1, e.Message),
        FormatException => (1, $"unexpected answer from the Orchestrator API: {e.Message}"),
        OperationCanceledException when cancel.IsCancellationRequested => (1, "interrupted"),
        _ => null,
    };

    /// <summary><c>--api URL</c> may come anywhere before <c>--</c>; every command takes it, so it is taken out here.</summary>
    private static (string? Api, IReadOnlyList<string> Others) ExtractApi(IReadOnlyList<string> args)
    {
        string? api = null;
        var rest = new List<string>();
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (arg == "--")
            {
                rest.AddRange(args.Skip(i));
                break;
            }
            if (arg == "--api")
                api = i + 1 < args.Count ? args[++i] : throw new UsageException("Option --api needs a value");
            else if (arg.StartsWith("--api=", StringComparison.Ordinal))
                api = arg["--api=".Length..];
            else
                rest.Add(arg);
        }
        return (api, rest);
    }
}
