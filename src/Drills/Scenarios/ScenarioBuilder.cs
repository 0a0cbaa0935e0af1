namespace Orchestrator.Drills.Scenarios;

/// <summary>
/// The fluent form of a drill:
/// <code>
/// Scenario.Named("destination dies in stop-copy").Hosts(2).Vm("web", on: "host1").Migrate("web", to: "host2")
///     .KillAt("host2", MigrationPhase.StopCopy, of: "web").WaitForMigration("web")
///     .Expect.NoLoss().NoDoubleRun().VmOn("web", "host1", "running")
/// </code>
/// Steps run in the order written. <see cref="Build"/> throws <see cref="ScenarioException"/> listing every wrong name and value.
/// </summary>
public sealed class ScenarioBuilder : IScenarioSource
{
    private readonly string _name;
    private readonly List<HostDefinition> _hosts = [];
    private readonly List<VmDefinition> _vms = [];
    private readonly List<Step> _steps = [];
    private readonly List<Expectation> _expectations = [];

    internal ScenarioBuilder(string name)
    {
        _name = name;
        Expect = new ExpectationBuilder(this, _expectations);
    }

    /// <summary>What must hold at the end; its methods chain, and it builds the same scenario.</summary>
    public ExpectationBuilder Expect { get; }

    /// <summary>Hosts <c>host1</c> to <c>hostN</c>, each with <paramref name="capacity"/> bytes (4 GiB by default).</summary>
    public ScenarioBuilder Hosts(int count, long capacity = HostDefinition.DefaultCapacity)
    {
        for (var i = 1; i <= count; i++)
            _hosts.Add(new HostDefinition($"host{i}", capacity));
        return this;
    }

    public ScenarioBuilder Host(string name, long capacity = HostDefinition.DefaultCapacity)
    {
        _hosts.Add(new HostDefinition(name, capacity));
        return this;
    }

    /// <summary>A VM created and running on <paramref name="on"/> before the first step.</summary>
    public ScenarioBuilder Vm(
        string name, string on, long ram = VmDefinition.DefaultRam, long dirtyRate = VmDefinition.DefaultDirtyRate,
        long vfio = 0, TimeSpan? vfioAllocation = null, bool vfioNeverAcks = false, long vgpu = 0)
    {
        _vms.Add(new VmDefinition(name, on, ram, dirtyRate, vfio, vfioAllocation, vfioNeverAcks, vgpu));
        return this;
    }

    public ScenarioBuilder Vm(VmDefinition vm)
    {
        _vms.Add(vm);
        return this;
    }

    /// <summary>Migrates <paramref name="vm"/> to <paramref name="to"/> with QEMU parameters for this migration, e.g. <c>("switchover-ack-timeout", "1500")</c>.</summary>
    public ScenarioBuilder Migrate(string vm, string to, params (string Name, string Value)[] parameters) =>
        Then(new MigrateStep(vm, to, parameters));

    /// <summary>
    /// Migrates <paramref name="vm"/> to <paramref name="to"/> with QEMU capabilities turned on or off over the defaults for this migration only,
    /// e.g. <c>capabilities: [("multifd", true)]</c>, and parameters; the destination's incoming side is set to match first (see <see cref="MigrateStep"/>).
    /// </summary>
    public ScenarioBuilder Migrate(string vm, string to, IReadOnlyList<(string Name, bool On)>? capabilities, params (string Name, string Value)[] parameters) =>
        Then(new MigrateStep(vm, to, parameters, capabilities));

    public ScenarioBuilder Evacuate(string host) => Then(new EvacuateStep(host));

    /// <summary>The VM's next incoming copy gets one bit flipped: its destination must refuse to start it.</summary>
    public ScenarioBuilder Corrupt(string vm) => Then(new CorruptStep(vm));

    public ScenarioBuilder Kill(string host) => Then(new KillStep(host));

    /// <summary>Kills <paramref name="host"/> the moment <paramref name="of"/>'s migration reaches <paramref name="phase"/>.</summary>
    public ScenarioBuilder KillAt(string host, MigrationPhase phase, string of, TimeSpan? within = null) =>
        Then(new KillStep(host, phase, of, within));

    public ScenarioBuilder Partition(string a, string b) => Then(new PartitionStep(a, b));

    public ScenarioBuilder Heal(string a, string b) => Then(new HealStep(a, b));

    public ScenarioBuilder ClearLink(string a, string b) => Then(new ClearLinkStep(a, b));

    public ScenarioBuilder SlowLink(string a, string b, TimeSpan? delay = null, long? rate = null, double? loss = null) =>
        Then(new SlowLinkStep(a, b, delay, rate, loss));

    public ScenarioBuilder Wait(TimeSpan duration) => Then(new WaitStep(duration));

    public ScenarioBuilder WaitForMigration(string vm, TimeSpan? within = null) => Then(new WaitForMigrationStep(vm, within));

    public ScenarioBuilder WaitForEmpty(string host, TimeSpan? within = null) => Then(new WaitForEmptyStep(host, within));

    public ScenarioBuilder Then(Step step)
    {
        _steps.Add(step);
        return this;
    }

    public Scenario Build()
    {
        var scenario = new Scenario(_name, _hosts.ToArray(), _vms.ToArray(), _steps.ToArray(), _expectations.ToArray());
        var errors = ScenarioCheck.Errors(scenario);
        if (errors.Count > 0)
            throw new ScenarioException(errors.Select(e => e.ToString()).ToArray());
        return scenario;
    }
}

/// <summary>The expectations of a <see cref="ScenarioBuilder"/>; builds the same scenario.</summary>
public sealed class ExpectationBuilder : IScenarioSource
{
    private readonly ScenarioBuilder _scenario;
    private readonly List<Expectation> _expectations;

    internal ExpectationBuilder(ScenarioBuilder scenario, List<Expectation> expectations)
    {
        _scenario = scenario;
        _expectations = expectations;
    }

    public ExpectationBuilder NoLoss() => Count(Counter.Lost, 0);

    public ExpectationBuilder NoDoubleRun() => Count(Counter.DoubleRuns, 0);

    public ExpectationBuilder NoDigestMismatch() => Count(Counter.DigestMismatches, 0);

    public ExpectationBuilder LostWithHost(int vms) => Count(Counter.LostWithHost, vms);

    public ExpectationBuilder Count(Counter counter, int value) => Add(new CountIs(counter, value));

    public ExpectationBuilder VmOn(string vm, string host, string? state = null) => Add(new VmOnHost(vm, host, state));

    public ExpectationBuilder MigrationEnds(string vm, params MigrationStatus[] outcomes) => Add(new MigrationEnds(vm, outcomes));

    public ExpectationBuilder HostEmpty(string host) => Add(new HostEmpty(host));

    public ExpectationBuilder Add(Expectation expectation)
    {
        _expectations.Add(expectation);
        return this;
    }

    public Scenario Build() => _scenario.Build();
}
