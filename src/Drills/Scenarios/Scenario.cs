namespace Orchestrator.Drills.Scenarios;

/// <summary>A failover drill: hosts, VMs, a timeline of steps (migrations, faults), what must hold at the end; from <see cref="Named"/> or a file.</summary>
public sealed record Scenario(
    string Name,
    IReadOnlyList<HostDefinition> Hosts,
    IReadOnlyList<VmDefinition> Vms,
    IReadOnlyList<Step> Steps,
    IReadOnlyList<Expectation> Expectations) : IScenarioSource
{
    /// <summary>Starts a fluent definition: <c>Scenario.Named("...").Hosts(2).Vm(...).Migrate(...).Expect.NoLoss()</c>.</summary>
    public static ScenarioBuilder Named(string name) => new(name);

    Scenario IScenarioSource.Build() => this;
}

/// <summary>Anything that yields a scenario: a scenario itself, or its builders, so a test can pass them straight to a runner.</summary>
public interface IScenarioSource
{
    Scenario Build();
}

/// <param name="Capacity">Bytes of VM state the host may hold.</param>
public sealed record HostDefinition(string Name, long Capacity = HostDefinition.DefaultCapacity)
{
    public const long DefaultCapacity = 4L << 30;
}
