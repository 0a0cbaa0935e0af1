namespace Orchestrator.Drills.Scenarios;

/// <summary>One entry of a drill's timeline. <see cref="ToString"/> is how the report names it.</summary>
public abstract record Step
{
    /// <summary>Bound of a step that waits when its scenario gives none.</summary>
    public static readonly TimeSpan DefaultWithin = TimeSpan.FromSeconds(30);
}

/// <summary>A live migration, admitted by the fleet coordinator like a user's <c>migrate</c>.</summary>
/// <param name="Parameters">QEMU's migration parameters for this migration, e.g. <c>switchover-ack-timeout</c>.</param>
/// <param name="Capabilities">
/// QEMU's migration capabilities turned on or off for this migration only, over the defaults (return-path and switchover-ack on), e.g.
/// <c>multifd</c>; null or empty leaves the VM's own set. The destination host's incoming side is set to match before the migration is asked
/// for (as <c>migrate-set-capabilities --host</c>), with <c>multifd-channels</c> from <paramref name="Parameters"/> if given.
/// </param>
public sealed record MigrateStep(
    string Vm,
    string To,
    IReadOnlyList<(string Name, string Value)> Parameters,
    IReadOnlyList<(string Name, bool On)>? Capabilities = null) : Step
{
    /// <summary>The source's capabilities for this migration: the defaults with <see cref="Capabilities"/> applied; null when the step gives none.</summary>
    /// <exception cref="MigrationArgumentException">An unknown capability name (QEMU's text); <see cref="ScenarioCheck"/> refuses those first.</exception>
    public MigrationCapabilities? SourceCapabilities =>
        Capabilities is { Count: > 0 } changes ? changes.Aggregate(new MigrationCapabilities(), (c, change) => c.With(change.Name, change.On)) : null;

    /// <summary>What the destination's incoming side gets: <see cref="Capabilities"/>, and <c>multifd-channels</c> if given (other parameters are the source's only).</summary>
    public IReadOnlyList<(string Name, string Value)> IncomingParameters =>
        Parameters.Where(p => p.Name.Replace('_', '-') == "multifd-channels").ToArray();

    public override string ToString()
    {
        var settings = (Capabilities ?? []).Select(c => $"{c.Name}={(c.On ? "on" : "off")}")
            .Concat(Parameters.Select(p => $"{p.Name}={p.Value}")).ToArray();
        return $"migrate {Vm} to {To}{(settings.Length > 0 ? " with " + string.Join(", ", settings) : "")}";
    }
}

/// <summary>The fleet drains the host and moves every VM off it.</summary>
public sealed record EvacuateStep(string Host) : Step
{
    public override string ToString() => $"evacuate {Host}";
}

/// <summary>
/// The host's node crashes, VMs included. With <paramref name="At"/>, the moment <paramref name="Of"/>'s migration reaches that phase:
/// armed before the preceding step runs, this step waits for it up to <paramref name="Within"/>.
/// </summary>
public sealed record KillStep(string Host, MigrationPhase? At = null, string? Of = null, TimeSpan? Within = null) : Step
{
    public override string ToString() =>
        At is { } phase ? $"kill {Host} at {phase.Name()} of {Of}'s migration" : $"kill {Host}";
}

/// <summary>The VM's next incoming copy, wherever it goes, arrives with one bit flipped, as a corrupted chunk would.</summary>
public sealed record CorruptStep(string Vm) : Step
{
    public override string ToString() => $"corrupt the next copy of {Vm}";
}

/// <summary>A fault on the link between two hosts, both ways. <paramref name="Verb"/> is its name in a drill file and to cluster.sh.</summary>
public abstract record LinkStep(string Verb, string A, string B) : Step
{
    public sealed override string ToString() => $"{Verb} {A} {B}{Detail}";

    private protected virtual string Detail => "";
}

/// <summary>Every message between the two hosts is dropped, both ways, until healed.</summary>
public sealed record PartitionStep(string A, string B) : LinkStep("partition", A, B);

public sealed record HealStep(string A, string B) : LinkStep("heal", A, B);

/// <summary>A degraded link: added delay, a rate cap (bytes/s) and a loss ratio (0..1).</summary>
public sealed record SlowLinkStep(string A, string B, TimeSpan? Delay, long? Rate, double? Loss) : LinkStep("slow-link", A, B)
{
    private protected override string Detail =>
        (Delay is { } d ? $" delay {d.TotalMilliseconds:0} ms" : "") + (Rate is { } r ? $" rate {r} B/s" : "") + (Loss is { } l ? $" loss {l:P1}" : "");
}

/// <summary>Undoes a slow link: the link between the two hosts is at full speed again.</summary>
public sealed record ClearLinkStep(string A, string B) : LinkStep("clear-link", A, B);

public sealed record WaitStep(TimeSpan Duration) : Step
{
    public override string ToString() => $"wait {Duration.TotalSeconds:0.###} s";
}

/// <summary>Waits until the VM's latest migration is completed, failed or cancelled.</summary>
public sealed record WaitForMigrationStep(string Vm, TimeSpan? Within = null) : Step
{
    public override string ToString() => $"wait until the migration of {Vm} ends (at most {(Within ?? DefaultWithin).TotalSeconds:0} s)";
}

/// <summary>Waits until no VM is left on the host (an evacuation's end).</summary>
public sealed record WaitForEmptyStep(string Host, TimeSpan? Within = null) : Step
{
    public override string ToString() => $"wait until {Host} holds no VM (at most {(Within ?? DefaultWithin).TotalSeconds:0} s)";
}
