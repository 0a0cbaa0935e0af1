using Microsoft.Extensions.Options;
using Orchestrator.Bench;
using Orchestrator.Demo;
using Orchestrator.Drills;
using Orchestrator.Node;

namespace Orchestrator;

public static class Program
{
    public const string Usage = """
        usage: orchestrator <command> [options]     orchestrator <command> --help     orchestrator --version

        commands:
          demo    migrate a VM between two nodes over Akka.Remote on 127.0.0.1, with live progress
                  --ram SIZE (256MiB)  --vfio SIZE (300MiB)  --vfio-alloc MS (1480)  --vgpu SIZE (64MiB)
                  --dirty-rate RATE (32MiB/s)  --capabilities LIST  --dest-capabilities LIST
                  (default return-path,switchover-ack; 'none' for all off)
                  --downtime-limit MS (300)  --max-bandwidth RATE (128MiB/s; bytes/s, 10MiB/s, 100mbit; 0 = unlimited)
                  --switchover-ack-timeout MS (60000; 0 = no limit)  --timeout DURATION (600s; a bare number is seconds)  --json
                  --verbose (Akka's own log of both nodes on stderr; silent without)
                  --continue-after DURATION|enter  (pause-before-switchover: when to send migrate-continue;
                  default Enter on a terminal, else at once)
          bench   measure stream throughput (Akka.Remote and multifd) against raw TCP, and downtime with
                  switchover-ack on and off, each with and without multifd
                  --quick  --runs N  --chunk SIZE  --window N  --fixed-window  --multifd-channels N (2)  --json  --verbose
          node    run a node of a cluster: one per host, with the HTTP API
                  --name HOST  --hostname 127.0.0.1  --port 4053  --seed HOST:PORT (repeatable)
                  --api http://127.0.0.1:8080  --capabilities LIST  --capacity 8GiB
                  (also from ORCHESTRATOR__NAME, ... and appsettings.json)
        """ + "\n" + DrillCommand.Usage + """


        exit codes: 0 completed (drill: passed), 1 migration failed or cancelled (drill: an expectation failed), 2 invalid arguments or drill file
        """ + "\n" + ClientCommands.Usage;

    /// <summary>The build's version with the commit it was built from (the SDK's informational version, <c>1.0.0+3f2a9c0</c>).</summary>
    public static string Version =>
        typeof(Program).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyInformationalVersionAttribute), false)
            .OfType<System.Reflection.AssemblyInformationalVersionAttribute>().FirstOrDefault()?.InformationalVersion ?? "unknown";

    public static async Task<int> Main(string[] args)
    {
        if (args is ["--version"] or ["version"])
        {
            Console.Out.WriteLine($"orchestrator {Version}");
            return 0;
        }
        if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
        {
            (args.Length == 0 ? Console.Error : Console.Out).WriteLine(Usage);
            return args.Length == 0 ? 2 : 0;
        }
        if (CommandHelp.Asked(args.Skip(1)) && CommandHelp.For(args[0]) is { } help)
        {
            Console.Out.WriteLine(help);
            return 0;
        }
        // stdout is the command's output alone (demo --json: one JSON object); all else, Akka's shutdown fallback logger too, goes to stderr.
        var output = Console.Out;
        Console.SetOut(Console.Error);
        using var interrupt = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            interrupt.Cancel();
        };
        try
        {
            var rest = args.Skip(1).ToArray();
            return args[0] switch
            {
                var client when ClientCommands.Names.Contains(client) => await ClientCommands.Run(client, rest, output, Console.Error, interrupt.Token),
                "demo" => await DemoCommand.Run(DemoOptions.Parse(rest, terminal: !Console.IsInputRedirected), output, Console.In, Console.Error, interrupt.Token),
                "bench" => await BenchCommand.Run(BenchOptions.Parse(rest), output),
                "node" => await NodeCommand.Run(rest, output),
                "drill" => await DrillCommand.Run(rest, output, Console.Error, interrupt.Token),
                _ => throw new UsageException($"Unknown command '{args[0]}'. Run 'orchestrator --help' for the list."),
            };
        }
        // A node's settings are checked at start (OptionsValidationException): its failure names the setting.
        catch (Exception e) when (e is UsageException or MigrationArgumentException or OptionsValidationException)
        {
            Console.Error.WriteLine(e.Message);
            return 2;
        }
    }
}
