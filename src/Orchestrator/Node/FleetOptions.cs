using Orchestrator.Actors.Fleet;
using Orchestrator.Cli;

namespace Orchestrator.Node;

/// <summary>The <c>Orchestrator:Fleet</c> section (<c>ORCHESTRATOR__FLEET__PROGRESSTIMEOUT</c>, ...), KubeVirt's defaults.</summary>
public sealed class FleetOptions
{
    public int PerCluster { get; set; } = 5;
    public int OutboundPerHost { get; set; } = 2;
    public int InboundPerHost { get; set; } = 2;

    /// <summary>Seconds per GiB of VM state.</summary>
    public double CompletionTimeoutPerGiB { get; set; } = 150;

    /// <summary>Seconds without a drop in remaining bytes.</summary>
    public double ProgressTimeout { get; set; } = 150;

    /// <summary><c>abort</c> or <c>pause</c>.</summary>
    public string TimeoutAction { get; set; } = "abort";

    /// <summary>
    /// Milliseconds between two judgements of the running migrations (timeouts; a source silent for longer is
    /// asked). Sources push their progress and their end, so a permit comes back as soon as a migration ends.
    /// </summary>
    public int PollInterval { get; set; } = 1000;

    /// <summary>Seconds before a failed evacuation migration is tried again; doubles on each failure.</summary>
    public double RetryBackoff { get; set; } = 20;

    /// <summary>Bandwidth of each migration the fleet starts (e.g. <c>100MiB/s</c>); <c>0</c> is unlimited. A migration's own max-bandwidth wins.</summary>
    public string MaxBandwidth { get; set; } = "0";

    public FleetProtocol.Settings Validate()
    {
        FleetLimits limits;
        try
        {
            limits = new FleetLimits(PerCluster, OutboundPerHost, InboundPerHost).Validated();
        }
        catch (ArgumentException e)
        {
            throw new UsageException($"Invalid fleet limit: {e.Message}");
        }
        if (PollInterval is < 20 or > 60_000)
            throw new UsageException($"Invalid fleet PollInterval {PollInterval}: use 20 to 60000 ms");
        if (CompletionTimeoutPerGiB <= 0 || ProgressTimeout <= 0 || RetryBackoff <= 0)
            throw new UsageException("Fleet timeouts and the retry backoff must be positive numbers of seconds");
        var action = ParseAction(TimeoutAction) ?? throw new UsageException($"Invalid fleet timeout action '{TimeoutAction}': use abort or pause");
        var timeouts = new FleetTimeouts(TimeSpan.FromSeconds(CompletionTimeoutPerGiB), TimeSpan.FromSeconds(ProgressTimeout), action);
        return FleetProtocol.Settings.Default with
        {
            Limits = limits,
            Timeouts = timeouts,
            RetryBackoff = TimeSpan.FromSeconds(RetryBackoff),
            PollInterval = TimeSpan.FromMilliseconds(PollInterval),
            MaxBandwidth = ByteUnits.ParseRate(MaxBandwidth, "Fleet:MaxBandwidth"),
        };
    }

    public static TimeoutAction? ParseAction(string text) => text.ToLowerInvariant() switch
    {
        "abort" => Actors.Fleet.TimeoutAction.Abort,
        "pause" => Actors.Fleet.TimeoutAction.Pause,
        _ => null,
    };
}
