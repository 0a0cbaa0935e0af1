using Orchestrator.Devices.Contract;
using Orchestrator.Devices.Machine;
using Orchestrator.Devices.Memory;
using Orchestrator.Devices.Ram;
using Xunit;
using static Orchestrator.Tests.Devices.DeviceStreams;

namespace Orchestrator.Tests.Devices;

/// <summary>Measures the process's resident memory, so nothing else may allocate meanwhile.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ResidentMemoryCollection
{
    public const string Name = "resident memory";
}

/// <summary>A fact that reads /proc/self/status (VmRSS): skipped where there is none.</summary>
public sealed class ResidentMemoryFactAttribute : FactAttribute
{
    public ResidentMemoryFactAttribute()
    {
        if (!File.Exists("/proc/self/status"))
            Skip = "needs /proc/self/status (Linux) to read the process's resident memory";
    }
}

[Collection(ResidentMemoryCollection.Name)]
public sealed class ResidentMemoryTests
{
    private static long Resident() =>
        long.Parse(File.ReadLines("/proc/self/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal))
            .Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;

    [ResidentMemoryFact]
    public async Task Zero_pages_landing_on_memory_still_zero_cost_the_destination_nothing()
    {
        // 256 MiB of RAM, one page of data in every 1 MiB segment: each segment is allocated, its other 255 pages arrive as zero markers.
        const long size = 256L << 20;
        var spec = DefaultDevices.Ram(size);
        var source = new RamDevice(spec);
        var noise = NoiseSource.From(new Random(5));
        for (long page = 0; page < size / PagedMemory.PageSize; page += 256)
            source.Memory.WriteNoisePage(page, ref noise, guest: false);
        source.SaveSetup(new SaveContext(SwitchoverAck: false));
        var chunks = Iterate(source, 64 * 1024).Concat(Complete(source, 64 * 1024)).ToList();
        var destination = new RamDevice(spec);
        destination.LoadSetup(Context(switchoverAck: false));
        // Free heap memory goes back to the OS, so the destination's segments are fresh pages the OS backs on first write.
        GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        var before = Resident();

        await Load(destination, chunks);
        var grew = Resident() - before;

        Assert.Equal(source.Digest(), destination.Digest());
        Assert.Equal(size, destination.Memory.AllocatedBytes);
        // The data is 1 MiB; written zeros would make all 256 MiB resident.
        Assert.True(grew < 32L << 20, $"the destination's resident memory grew by {grew >> 20} MiB for 1 MiB of data");
    }
}
