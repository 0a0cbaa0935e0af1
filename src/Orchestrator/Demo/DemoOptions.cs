using Orchestrator.Actors.Precopy;
using Orchestrator.Devices.Contract;
using Orchestrator.Devices.Machine;

namespace Orchestrator.Demo;

/// <summary>The demo VM and migration settings; the defaults are the seed's: a 300 MiB mlx5 VF whose allocation takes 1480 ms.</summary>
/// <param name="Verbose">Akka's own log (warnings and errors of both nodes) on stderr; without it that log stays silent, as the demo's
/// output already says how the migration ended and why.</param>
public sealed record DemoOptions(
    long Ram,
    long Vfio,
    TimeSpan VfioAllocation,
    long Vgpu,
    long DirtyRate,
    MigrationCapabilities Capabilities,
    MigrationCapabilities DestinationCapabilities,
    MigrationParameters Parameters,
    TimeSpan Timeout,
    bool Json,
    PrecopyProtocol.Settings? Precopy = null,
    TimeSpan? ContinueAfter = null,
    int? DestinationMultifdChannels = null,
    bool Verbose = false)
{
    /// <summary>The destination's multifd-channels: as the source's unless set apart (it is not negotiated, as in QEMU).</summary>
    public int DestinationChannels => DestinationMultifdChannels ?? Parameters.MultifdChannels;

    public static DemoOptions Default => new(
        DefaultDevices.RamSize,
        DefaultDevices.VfioSize,
        DefaultDevices.VfioAllocationTime,
        DefaultDevices.VgpuSize,
        DefaultDevices.GuestDirtyRate,
        MigrationCapabilities.ParseList("return-path,switchover-ack"),
        MigrationCapabilities.ParseList("return-path,switchover-ack"),
        new MigrationParameters(),
        TimeSpan.FromMinutes(10),
        Json: false);

    /// <summary>Throws <see cref="UsageException"/> or <see cref="MigrationArgumentException"/> (QEMU's text) on bad input.</summary>
    /// <param name="terminal">Whether stdin is a terminal: then a migration paused before switchover continues on Enter by default, else at once.</param>
    public static DemoOptions Parse(IReadOnlyList<string> args, bool terminal = false)
    {
        var a = Arguments.Parse(args,
        [
            "--ram", "--vfio", "--vfio-alloc", "--vgpu", "--dirty-rate", "--capabilities", "--dest-capabilities",
            "--downtime-limit", "--max-bandwidth", "--switchover-ack-timeout", "--timeout", "--continue-after",
            "--multifd-channels", "--dest-multifd-channels",
        ], ["--json", "--verbose"]);
        var o = Default with { Verbose = a.Has("--verbose") };
        if (a.Value("--ram") is { } ram) o = o with { Ram = ByteUnits.ParseSize(ram, "--ram") };
        if (a.Value("--vfio") is { } vfio) o = o with { Vfio = ByteUnits.ParseSize(vfio, "--vfio") };
        if (a.Value("--vfio-alloc") is { } alloc) o = o with { VfioAllocation = ByteUnits.ParseDuration(alloc, "--vfio-alloc") };
        if (a.Value("--vgpu") is { } vgpu) o = o with { Vgpu = ByteUnits.ParseSize(vgpu, "--vgpu") };
        if (a.Value("--dirty-rate") is { } rate) o = o with { DirtyRate = ByteUnits.ParseRate(rate, "--dirty-rate") };
        if (a.Value("--capabilities") is { } caps) o = o with { Capabilities = MigrationCapabilities.ParseList(caps) };
        if (a.Value("--dest-capabilities") is { } dest) o = o with { DestinationCapabilities = MigrationCapabilities.ParseList(dest) };
        if (a.Value("--timeout") is { } timeout) o = o with { Timeout = ByteUnits.ParseDuration(timeout, "--timeout", bare: "s") };
        o = o with { ContinueAfter = a.Value("--continue-after") is { } after ? ContinuePolicy(after) : terminal ? null : TimeSpan.Zero };
        var parameters = o.Parameters;
        foreach (var name in new[] { "--downtime-limit", "--max-bandwidth", "--switchover-ack-timeout", "--multifd-channels" })
        {
            if (a.Value(name) is { } value)
                parameters = parameters.With(name[2..], value);
        }
        o = o with { Parameters = parameters, Json = a.Has("--json") };
        if (a.Value("--dest-multifd-channels") is { } destChannels)
            o = o with { DestinationMultifdChannels = new MigrationParameters().With("multifd-channels", destChannels).MultifdChannels };
        if ((o.Capabilities.Check() ?? o.DestinationCapabilities.Check()) is { } error)
            throw new MigrationArgumentException(error);
        if (Devices.Ram.RamSize.Problem(o.Ram, "--ram") is { } badRam)
            throw new UsageException(badRam);
        return o;
    }

    /// <summary><c>enter</c> (null: on Enter, or at the end of stdin) or a duration after reaching pre-switchover.</summary>
    private static TimeSpan? ContinuePolicy(string text) => text == "enter"
        ? null
        : Quantity.Duration(text) ?? throw new UsageException($"Invalid --continue-after '{text}': use enter, or a duration after reaching pre-switchover (e.g. 0, 500ms or 5s)");

    public VmSpec VmSpec(string name)
    {
        var devices = new List<DeviceSpec> { DefaultDevices.Ram(Ram) };
        if (Vfio > 0)
            devices.Add(DefaultDevices.Vfio(Vfio, VfioAllocation));
        if (Vgpu > 0)
            devices.Add(DefaultDevices.Vgpu(Vgpu));
        return new VmSpec(name, devices, new WorkloadSpec(DirtyRate));
    }
}
