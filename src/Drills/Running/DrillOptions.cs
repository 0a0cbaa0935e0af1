using Orchestrator.Actors.Fleet;

namespace Orchestrator.Drills.Running;

/// <summary>How a drill runs on either engine: bounds shorter than a node's, so a crash is noticed and acted on within seconds.</summary>
public sealed record DrillOptions
{
    /// <summary>Invariants are checked after every step and at this interval in between.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromMilliseconds(50);

    public MigrationSettings Migration { get; init; } = MigrationSettings.Default with
    {
        SetupTimeout = TimeSpan.FromSeconds(3),
        CommitTimeout = TimeSpan.FromSeconds(5),
        Precopy = MigrationSettings.Default.Precopy with { StallTimeout = TimeSpan.FromSeconds(3) },
    };

    /// <summary>The fleet coordinator's settings; a failed evacuation move is retried after 1 s, not 20.</summary>
    public FleetProtocol.Settings Fleet { get; init; } = FleetProtocol.Settings.Default with { RetryBackoff = TimeSpan.FromSeconds(1) };

    /// <summary>Silence before a peer is unreachable: under a node's 8 s so drills end soon, yet a busy machine (suite on 2 cores) keeps hosts alive.</summary>
    public TimeSpan FailureDetectorPause { get; init; } = TimeSpan.FromSeconds(4);

    /// <summary>How long an unreachable member stays before the split-brain resolver downs it.</summary>
    public TimeSpan DownAfter { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>The cluster must form, and the fleet answer, within this.</summary>
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(30);

    public TimeSpan AskTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Bound of a fleet command, above <see cref="AskTimeout"/>: for an evacuation it asks every host (5 s each, status then VM list).</summary>
    public TimeSpan FleetAskTimeout { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>Akka's own log on stderr; ERROR by default, since a drill's faults make remoting complain by design.</summary>
    public Akka.Event.LogLevel AkkaLogLevel { get; init; } = Akka.Event.LogLevel.ErrorLevel;
}
