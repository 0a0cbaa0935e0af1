namespace Orchestrator.Demo;

/// <summary><c>orchestrator demo</c>: one VM migrated, with live progress, between two ActorSystems over Akka.Remote on 127.0.0.1.</summary>
public static class DemoCommand
{
    public const string VmName = "demo-vm";

    /// <param name="input">Read for Enter when a migration paused before switchover continues on Enter.</param>
    /// <param name="notices">Where the Enter prompt goes under <c>--json</c>, whose stdout is one JSON object.</param>
    public static async Task<int> Run(DemoOptions options, TextWriter output, TextReader input, TextWriter notices, CancellationToken cancel)
    {
        var info = await Migrate(options, line => { if (!options.Json) output.WriteLine(line); }, cancel,
            new Continuation(options.ContinueAfter, input, line => (options.Json ? notices : output).WriteLine(line)));
        if (options.Json)
            output.WriteLine(QueryMigrateJson.Render(info));
        else
            foreach (var line in ProgressView.Summary(info))
                output.WriteLine(line);
        return info.Status == MigrationStatus.Completed ? 0 : 1;
    }

    /// <summary>A demo node: Akka's log on stderr with <see cref="DemoOptions.Verbose"/>, else nowhere (its host has no log provider).</summary>
    internal static OrchestratorOptions NodeOptions(string name, MigrationSettings settings, DemoOptions options) =>
        new(name) { Migration = settings, StandardErrorLog = options.Verbose };

    /// <summary>Runs one demo migration to its end and returns the final query-migrate.</summary>
    /// <param name="continuation">When a migration paused before switchover continues; null: after <see cref="DemoOptions.ContinueAfter"/>, or at once.</param>
    public static async Task<MigrationInfo> Migrate(DemoOptions options, Action<string> progress, CancellationToken cancel, Continuation? continuation = null)
    {
        var settings = MigrationSettings.Default with { Precopy = options.Precopy ?? MigrationSettings.Default.Precopy };
        var source = await MigrationNode.Start("source", NodeOptions("source", settings, options), cancel);
        var destination = await MigrationNode.Start("destination", NodeOptions("destination", settings, options), cancel);
        try
        {
            return await Migrate(options, source, destination, progress, continuation ?? new Continuation(options.ContinueAfter ?? TimeSpan.Zero, TextReader.Null, progress), cancel);
        }
        finally
        {
            // Both at once: each is already shutting down when the other's connection drops.
            await Task.WhenAll(source.DisposeAsync().AsTask(), destination.DisposeAsync().AsTask());
        }
    }

    private static async Task<MigrationInfo> Migrate(
        DemoOptions options, MigrationNode source, MigrationNode destination, Action<string> progress, Continuation continuation, CancellationToken cancel)
    {
        var ask = TimeSpan.FromSeconds(30);
        progress($"source node {source.Address}, destination node {destination.Address}");
        // Hosts of a cluster have met before any migration (gossip, heartbeats): so do these two, or the migration's
        // setup-time would hold the first association between the ActorSystems (about 200 ms; docs/benchmarks.md).
        await source.System.ActorSelection(HostProtocol.PathOn(destination.Address)).Ask<HostProtocol.HostStatus>(HostProtocol.GetStatus.Instance, ask);

        Check(await destination.Host.Ask<CommandResult>(new HostProtocol.SetIncomingCapabilities(options.DestinationCapabilities), ask));
        if (await destination.Host.Ask<object>(new HostProtocol.ChangeIncomingParameters([("multifd-channels", options.DestinationChannels.ToString())]), ask) is CommandResult refusedHere)
            Check(refusedHere);
        var spec = options.VmSpec(VmName);
        Check(await source.Host.Ask<CommandResult>(new HostProtocol.CreateVm(spec), ask));
        Check(await source.Host.Ask<CommandResult>(new HostProtocol.SetCapabilities(VmName, options.Capabilities.States().ToArray()), ask));
        if (await source.Host.Ask<object>(new HostProtocol.SetParameters(VmName, Parameters(options.Parameters)), ask) is CommandResult refused)
            Check(refused);
        progress($"VM {VmName}: {string.Join(", ", spec.Devices.Select(d => $"{d.Kind.ToString().ToLowerInvariant()} {d.Name} {Cli.ByteUnits.Format(d.SizeBytes)}"))}; " +
                 $"guest dirtying {Cli.ByteUnits.Format(options.DirtyRate)}/s");
        progress($"capabilities: source {options.Capabilities}, destination {options.DestinationCapabilities}" +
                 (options.Capabilities.Multifd || options.DestinationCapabilities.Multifd
                     ? $" (multifd-channels: source {options.Parameters.MultifdChannels}, destination {options.DestinationChannels}); "
                     : "; ") +
                 $"downtime-limit {options.Parameters.DowntimeLimit} ms, max-bandwidth {(options.Parameters.MaxBandwidth == 0 ? "unlimited" : Cli.ByteUnits.Format(options.Parameters.MaxBandwidth) + "/s")}");

        var started = await source.Host.Ask<object>(new HostProtocol.Migrate(VmName, destination.Address), ask);
        if (started is CommandResult { Error: { } error })
            throw new InvalidOperationException(error);

        var deadline = DateTime.UtcNow + options.Timeout;
        var cancelled = false;
        Task? continuing = null;
        while (true)
        {
            var reply = await source.Host.Ask<object>(new HostProtocol.QueryMigrate(VmName), ask);
            if (reply is MigrationInfo info)
            {
                if (info.Status.IsTerminal())
                    return info;
                progress(ProgressView.Line(info));
                // pause-before-switchover: the source waits in pre-switchover for QEMU's migrate-continue.
                if (info.Status == MigrationStatus.PreSwitchover && continuing is null)
                    continuing = continuation.Send(() => source.Host.Tell(new HostProtocol.MigrateContinue(VmName)));
            }
            if (!cancelled && (cancel.IsCancellationRequested || DateTime.UtcNow > deadline))
            {
                var why = cancel.IsCancellationRequested ? "interrupted" : $"no completion within {options.Timeout.TotalSeconds:0} s (--timeout)";
                progress($"{why}: cancelling the migration");
                source.Host.Tell(new HostProtocol.MigrateCancel(VmName, $"migration cancelled: {why}"));
                cancelled = true;
            }
            await Task.Delay(TimeSpan.FromMilliseconds(250), CancellationToken.None);
        }
    }

    private static (string, string)[] Parameters(MigrationParameters p) =>
    [
        ("downtime-limit", p.DowntimeLimit.ToString()),
        ("max-bandwidth", p.MaxBandwidth.ToString()),
        ("avail-switchover-bandwidth", p.AvailSwitchoverBandwidth.ToString()),
        ("switchover-ack-timeout", p.SwitchoverAckTimeout.ToString()),
        ("multifd-channels", p.MultifdChannels.ToString()),
    ];

    private static void Check(CommandResult result)
    {
        if (result.Error is { } error)
            throw new InvalidOperationException(error);
    }
}
