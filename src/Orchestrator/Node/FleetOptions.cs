using Orchestrator.Actors.Fleet;

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

    /// <summary>Milliseconds between judgements of migrations (timeouts; a silent source is asked); ends are pushed, so permits return at once.</summary>
    public int PollInterval { get; set; } = 1000;

    /// <summary>Seconds before a failed evacuation migration is tried again; doubles on each failure.</summary>
    public double RetryBackoff { get; set; } = 20;

    /// <summary>Bandwidth of each migration the fleet starts (e.g. <c>100MiB/s</c>); <c>0</c> is unlimited. A migration's own max-bandwidth wins.</summary>
    public string MaxBandwidth { get; set; } = "0";

    private FleetLimits Limits => new(PerCluster, OutboundPerHost, InboundPerHost);

    public string? Problem() =>
        LimitsProblem() is { } limits ? limits
        : PollInterval is < 20 or > 60_000 ? $"Invalid fleet PollInterval {PollInterval}: use 20 to 60000 ms"
        : CompletionTimeoutPerGiB <= 0 || ProgressTimeout <= 0 || RetryBackoff <= 0 ? "Fleet timeouts and the retry backoff must be positive numbers of seconds"
        : ParseAction(TimeoutAction) is null ? $"Invalid fleet timeout action '{TimeoutAction}': use abort or pause"
        : ByteUnits.RateProblem(MaxBandwidth, "Fleet:MaxBandwidth");

    /// <summary>The fleet's own rule (<see cref="FleetLimits.Validated"/>), in its words.</summary>
    private string? LimitsProblem()
    {
        try
        {
            Limits.Validated();
            return null;
        }
        catch (ArgumentException e)
        {
            return $"Invalid fleet limit: {e.Message}";
        }
    }

    public FleetProtocol.Settings ToSettings() => FleetProtocol.Settings.Default with
    {
        Limits = Limits,
        Timeouts = new FleetTimeouts(TimeSpan.FromSeconds(CompletionTimeoutPerGiB), TimeSpan.FromSeconds(ProgressTimeout), ParseAction(TimeoutAction)!.Value),
        RetryBackoff = TimeSpan.FromSeconds(RetryBackoff),
        PollInterval = TimeSpan.FromMilliseconds(PollInterval),
        MaxBandwidth = Quantity.Rate(MaxBandwidth)!.Value,
    };

    public static TimeoutAction? ParseAction(string text) => text.ToLowerInvariant() switch
    {
        "abort" => Actors.Fleet.TimeoutAction.Abort,
        "pause" => Actors.Fleet.TimeoutAction.Pause,
        _ => null,
    };
}
