using System.Text.Json;

namespace Orchestrator.Drills.Scenarios;

/// <summary>What must hold when a drill ends. <see cref="ToString"/> is how the report names it.</summary>
public abstract record Expectation;

/// <summary>The invariant counters a drill keeps.</summary>
public enum Counter
{
    /// <summary>VMs that vanished from every living host, other than with a host the scenario killed.</summary>
    Lost,

    /// <summary>VMs whose running or only copy was on a host the scenario killed.</summary>
    LostWithHost,

    /// <summary>VMs seen running on two hosts at once.</summary>
    DoubleRuns,

    /// <summary>Devices whose destination digest differed from the source's in a migration.</summary>
    DigestMismatches,
}

public sealed record CountIs(Counter Counter, int Value) : Expectation
{
    /// <summary>The counter's name in drill files and reports: <c>lost</c>, <c>lost-with-host</c>, <c>double-runs</c>, <c>digest-mismatches</c>.</summary>
    public static string Name(Counter counter) => JsonNamingPolicy.KebabCaseLower.ConvertName(counter.ToString());

    public override string ToString() => $"{Name(Counter)}: {Value}";
}

/// <summary>The VM is on the host at the end; with <paramref name="State"/>, in that state (running, paused).</summary>
public sealed record VmOnHost(string Vm, string Host, string? State = null) : Expectation
{
    public override string ToString() => $"vm {Vm} on {Host}{(State is null ? "" : $" ({State})")}";
}

/// <summary>The VM's latest migration ended in one of <paramref name="Outcomes"/>.</summary>
public sealed record MigrationEnds(string Vm, IReadOnlyList<MigrationStatus> Outcomes) : Expectation
{
    public override string ToString() => $"migration of {Vm} ends {string.Join("|", Outcomes.Select(o => o.Name()))}";
}

/// <summary>No VM is left on the host at the end.</summary>
public sealed record HostEmpty(string Host) : Expectation
{
    public override string ToString() => $"{Host} holds no VM";
}
