using Akka.Actor;
using Akka.TestKit.Xunit2;
using Orchestrator.Actors.Host;
using Orchestrator.Actors.Incoming;
using Orchestrator.Actors.Migration;
using Orchestrator.Actors.Precopy;
using Orchestrator.Actors.Wiring;
using Orchestrator.Devices.Contract;
using Orchestrator.Devices.Machine;
using Xunit;
using Xunit.Abstractions;

namespace Orchestrator.Tests.Migration;

/// <summary>
/// Two nodes over real Akka.Remote on 127.0.0.1: the TestKit's ActorSystem is the source, a second
/// node (<see cref="MigrationNode.Start"/>, wired as production wires it) the destination. VMs are small so a migration takes about a second.
/// </summary>
public abstract class TwoNodeTestKit : TestKit, IAsyncLifetime
{
    protected const string Vm = "vm1";
    protected static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(20);

    private MigrationNode? _destination;

    protected TwoNodeTestKit(ITestOutputHelper output, MigrationSettings? settings = null)
        : base(TestSystem.Start("source"), output)
    {
        Settings = settings ?? MigrationSettings.Default;
        Source = new SourceNode(TestSystem.SpawnHost(Sys, Settings), ((ExtendedActorSystem)Sys).Provider.DefaultAddress);
    }

    protected MigrationSettings Settings { get; }

    protected SourceNode Source { get; }

    protected MigrationNode Destination => _destination ?? throw new InvalidOperationException("not started");

    /// <summary>What the destination's incoming migrations load through: nothing, as on a node without fault injection.</summary>
    protected virtual IncomingLoadDecorator? DestinationLoads => null;

    public async Task InitializeAsync() =>
        _destination = await MigrationNode.Start("destination", new OrchestratorOptions("destination") { Migration = Settings, DecorateLoads = DestinationLoads });

    public async Task DisposeAsync()
    {
        if (_destination is not null)
            await _destination.DisposeAsync();
    }

    /// <summary>8 MiB RAM, a 4 MiB VF and a 2 MiB vGPU by default; the guest dirties 4 MiB/s.</summary>
    protected static VmSpec SmallVm(
        long ram = 8L << 20, long vfio = 4L << 20, long vgpu = 2L << 20,
        int vfioAllocMs = 300, long dirtyRate = 4L << 20, string name = Vm)
    {
        var devices = new List<DeviceSpec> { DefaultDevices.Ram(ram) };
        if (vfio > 0)
            devices.Add(DefaultDevices.Vfio(vfio, TimeSpan.FromMilliseconds(vfioAllocMs)));
        if (vgpu > 0)
            devices.Add(DefaultDevices.Vgpu(vgpu) with { AllocationTime = TimeSpan.FromMilliseconds(50) });
        return new VmSpec(name, devices, new WorkloadSpec(dirtyRate));
    }

    protected async Task<CommandResult> Ask(IActorRef host, object command) =>
        await host.Ask<CommandResult>(command, AskTimeout);

    protected async Task Create(VmSpec spec) =>
        Assert.Null((await Ask(Source.Host, new HostProtocol.CreateVm(spec))).Error);

    protected async Task SetCapabilities(string list, string vm = Vm)
    {
        var caps = MigrationCapabilities.ParseList(list);
        Assert.Null((await Ask(Source.Host, new HostProtocol.SetCapabilities(vm, caps.States().ToArray()))).Error);
    }

    protected async Task SetDestinationCapabilities(string list) =>
        Assert.Null((await Ask(Destination.Host, new HostProtocol.SetIncomingCapabilities(MigrationCapabilities.ParseList(list)))).Error);

    /// <summary>QEMU's migrate-set-parameters on the destination, before incoming starts.</summary>
    protected async Task SetDestinationParameters(params (string Name, string Value)[] changes) =>
        Assert.IsType<HostProtocol.IncomingParametersOf>(await Destination.Host.Ask<object>(new HostProtocol.ChangeIncomingParameters(changes), AskTimeout));

    protected async Task SetParameters(params (string Name, string Value)[] changes) =>
        Assert.IsType<HostProtocol.MigrationSettingsOf>(await Source.Host.Ask<object>(new HostProtocol.SetParameters(Vm, changes), AskTimeout));

    protected async Task<MigrationId> Migrate(string vm = Vm)
    {
        var reply = await Source.Host.Ask<object>(new HostProtocol.Migrate(vm, Destination.Address), AskTimeout);
        return Assert.IsType<HostProtocol.MigrationStarted>(reply).Migration;
    }

    protected async Task<MigrationInfo> Query(string vm = Vm)
    {
        var reply = await Source.Host.Ask<object>(new HostProtocol.QueryMigrate(vm), AskTimeout);
        return Assert.IsType<MigrationInfo>(reply);
    }

    /// <summary>
    /// Polls query-migrate until <paramref name="done"/> holds, handing every sample to <paramref name="observe"/>;
    /// fails as soon as the migration has ended without it, or once <paramref name="within"/> has passed.
    /// </summary>
    protected Task<MigrationInfo> Until(Func<MigrationInfo, bool> done, TimeSpan within, string what, Action<MigrationInfo>? observe = null, string vm = Vm)
    {
        MigrationInfo? last = null;
        return Eventually.Until(
            async () =>
            {
                var info = last = await Query(vm);
                observe?.Invoke(info);
                if (done(info))
                    return info;
                Assert.False(info.Status.IsTerminal(), $"the migration ended {info.Status.Name()} before {what} ({info.ErrorDesc})");
                return null;
            },
            within,
            () => $"{what}: the migration is {last?.Status.Name()} ({last?.ErrorDesc})",
            every: TimeSpan.FromMilliseconds(20));
    }

    protected Task<MigrationInfo> UntilEnded(TimeSpan? within = null, Action<MigrationInfo>? observe = null, string vm = Vm) =>
        Until(info => info.Status.IsTerminal(), within ?? TimeSpan.FromSeconds(60), "the end", observe, vm);

    protected Task<MigrationInfo> UntilStatus(MigrationStatus status, TimeSpan? within = null, string vm = Vm) =>
        Until(info => info.Status == status, within ?? TimeSpan.FromSeconds(30), status.Name(), vm: vm);

    /// <summary>
    /// Until the migration has synced its dirty bitmap <paramref name="more"/> more times: each sync is one
    /// chance to switch over or step auto-converge (QEMU decides both per iteration), so a test that shows
    /// something did not happen waits for chances, not for a fixed time.
    /// </summary>
    protected async Task<MigrationInfo> UntilSyncs(int more, string vm = Vm)
    {
        var from = (await Query(vm)).Ram.DirtySyncCount;
        return await Until(info => info.Ram.DirtySyncCount >= from + more, TimeSpan.FromSeconds(30), $"{more} more dirty syncs", vm: vm);
    }

    protected static Task<IReadOnlyList<HostProtocol.VmSummary>> Vms(MigrationNode node) => Vms(node.Host);

    protected static Task<IReadOnlyList<HostProtocol.VmSummary>> Vms(SourceNode node) => Vms(node.Host);

    protected static Task<IReadOnlyList<string>> Incoming(MigrationNode node) => Incoming(node.Host);

    protected static Task<IReadOnlyDictionary<DeviceName, DeviceDigest>> Digests(MigrationNode node, string vm = Vm) => Digests(node.Host, vm);

    protected static Task<IReadOnlyDictionary<DeviceName, DeviceDigest>> Digests(SourceNode node, string vm = Vm) => Digests(node.Host, vm);

    private static async Task<IReadOnlyList<HostProtocol.VmSummary>> Vms(IActorRef host) =>
        (await host.Ask<HostProtocol.VmList>(HostProtocol.ListVms.Instance, AskTimeout)).Vms;

    private static async Task<IReadOnlyList<string>> Incoming(IActorRef host) =>
        (await host.Ask<HostProtocol.VmList>(HostProtocol.ListVms.Instance, AskTimeout)).Incoming;

    private static async Task<IReadOnlyDictionary<DeviceName, DeviceDigest>> Digests(IActorRef host, string vm = Vm) =>
        (await host.Ask<HostProtocol.VmDigests>(new HostProtocol.GetDigests(vm), AskTimeout)).Digests;

    /// <summary>The source VM runs again and the destination holds no copy, however the migration ended.</summary>
    protected async Task AssertRolledBack(MigrationInfo info)
    {
        Assert.Equal(VmStates.Running, info.SourceVm);
        Assert.Equal(VmStates.Absent, info.DestinationVm);
        Assert.Equal(VmStates.Running, Assert.Single(await Vms(Source)).State);
        await AwaitAssertAsync(async () =>
        {
            Assert.Empty(await Vms(Destination));
            Assert.Empty(await Incoming(Destination));
        }, TimeSpan.FromSeconds(10));
    }
}

/// <summary>The source side of <see cref="TwoNodeTestKit"/>: a VM host on the TestKit's own system.</summary>
public sealed record SourceNode(IActorRef Host, Address Address);
