using System.Buffers.Binary;
using Microsoft.Extensions.Time.Testing;
using Orchestrator.Devices.Contract;
using Orchestrator.Devices.Machine;
using Orchestrator.Devices.Memory;
using Orchestrator.Devices.Ram;
using Xunit;
using static Orchestrator.Tests.Devices.DeviceStreams;

namespace Orchestrator.Tests.Devices;

public class RamDeviceTests
{
    private const int Chunk = 64 * 1024;
    private static readonly DeviceSpec Spec4 = DefaultDevices.Ram(4 << 20);

    private static (RamDevice Source, RamDevice Destination) Pair(DeviceSpec spec, int seed = 7)
    {
        var source = RamDevice.Filled(spec, DirtyPattern.Random, seed);
        var destination = new RamDevice(spec);
        source.SaveSetup(new SaveContext(SwitchoverAck: false));
        destination.LoadSetup(Context(switchoverAck: false));
        return (source, destination);
    }

    [Fact]
    public async Task A_sparse_guest_costs_the_destination_its_data_not_its_size()
    {
        // 64 MiB of RAM, 8 MiB of it data (the first 2048 pages), the rest never written: zero-page markers on the wire.
        var spec = DefaultDevices.Ram(64L << 20);
        var source = new RamDevice(spec);
        var noise = NoiseSource.From(new Random(3));
        for (long page = 0; page < 2048; page++)
            source.Memory.WriteNoisePage(page, ref noise, guest: false);
        var destination = new RamDevice(spec);
        source.SaveSetup(new SaveContext(SwitchoverAck: false));
        destination.LoadSetup(Context(switchoverAck: false));

        await Load(destination, [.. Iterate(source, Chunk), .. Complete(source, Chunk)]);

        Assert.Equal(source.Digest(), destination.Digest());
        Assert.Equal(8L << 20, destination.Memory.AllocatedBytes);
        Assert.Equal(14336, source.Statistics.Duplicate); // the zero pages went as markers and cost nothing there
    }

    [Fact]
    public async Task Full_stream_loaded_into_a_twin_gives_equal_digests()
    {
        var (source, destination) = Pair(Spec4);
        Assert.NotEqual(source.Digest(), destination.Digest());

        var chunks = Iterate(source, Chunk);
        chunks.AddRange(Complete(source, Chunk));
        Assert.All(chunks, c => Assert.InRange(c.Length, 1, Chunk));
        Assert.Null(source.SaveCompleteNext(Chunk));

        Assert.False(destination.LoadComplete);
        await Load(destination, chunks);

        Assert.True(destination.LoadComplete);
        Assert.Equal(source.Digest(), destination.Digest());
        Assert.Equal(chunks.Sum(c => (long)c.Length), source.Transferred);
    }

    [Fact]
    public async Task Guest_dirtying_between_iterations_is_resent_and_the_twin_matches()
    {
        var spec = DefaultDevices.Ram(8 << 20);
        var (source, destination) = Pair(spec);
        var random = new Random(3);
        var pages = spec.SizeBytes / PagedMemory.PageSize;

        for (var round = 0; round < 12; round++)
        {
            for (var i = 0; i < 6 && source.SaveIterate(Chunk) is { } chunk; i++)
            {
                await destination.LoadState(chunk, CancellationToken.None);
            }

            source.Dirty(256 * 1024, random);
            source.PendingExact();
        }

        await Load(destination, Iterate(source, Chunk));
        source.Dirty(128 * 1024, random); // after the last sync: only the final sync can catch these
        // The guest is paused from here on.
        await Load(destination, Complete(source, Chunk));

        Assert.True(destination.LoadComplete);
        Assert.Equal(source.Digest(), destination.Digest());
        var stats = source.Statistics;
        Assert.Equal(1 + 12 + 1, stats.DirtySyncCount);
        Assert.True(stats.Normal + stats.Duplicate > pages, "dirtied pages went twice");
        Assert.Equal(0, stats.Remaining);
    }

    [Fact]
    public async Task Zero_pages_travel_as_markers_counted_as_duplicate()
    {
        var (source, destination) = Pair(Spec4);
        var zeroPages = Enumerable.Range(0, 1024).Count(p => source.Memory.IsZeroPage(p));
        Assert.InRange(zeroPages, 400, 624); // about half

        var chunks = Iterate(source, Chunk);
        chunks.AddRange(Complete(source, Chunk));
        await Load(destination, chunks);

        var stats = source.Statistics;
        Assert.Equal(zeroPages, stats.Duplicate);
        Assert.Equal(1024 - zeroPages, stats.Normal);
        Assert.Equal(stats.Normal * 4096, stats.NormalBytes);
        Assert.Equal(4L << 20, stats.Total);
        Assert.Equal(4096, stats.PageSize);
        Assert.Equal(source.Digest(), destination.Digest());
    }

    [Fact]
    public async Task All_zero_ram_moves_as_markers_only()
    {
        var spec = DefaultDevices.Ram(8 << 20);
        var source = new RamDevice(spec);
        var destination = new RamDevice(spec);
        source.SaveSetup(new SaveContext(false));
        destination.LoadSetup(Context(false));

        var chunks = Iterate(source, Chunk);
        chunks.AddRange(Complete(source, Chunk));
        await Load(destination, chunks);

        var pages = 2048;
        var payload = chunks.Sum(c => (long)c.Length);
        Assert.Equal((pages + 1) * 9L, payload); // one 9-byte marker per page plus end of stream
        Assert.True(payload < spec.SizeBytes / 100);
        Assert.Equal(pages, source.Statistics.Duplicate);
        Assert.Equal(0, source.Statistics.Normal);
        Assert.True(destination.LoadComplete);
    }

    [Fact]
    public void Drained_stream_still_sends_one_end_marker_then_null()
    {
        var (source, _) = Pair(DefaultDevices.Ram(64 * 1024));
        Iterate(source, Chunk);
        Assert.Null(source.SaveIterate(Chunk));
        Assert.Equal(0, source.PendingEstimate());

        var end = source.SaveCompleteNext(Chunk);
        Assert.NotNull(end);
        Assert.Equal(9, end.Length);
        Assert.Equal(-1, BinaryPrimitives.ReadInt64LittleEndian(end.Payload.Span));
        Assert.Null(source.SaveCompleteNext(Chunk));
        Assert.Null(source.SaveCompleteNext(Chunk));
    }

    [Fact]
    public void Pending_exact_syncs_the_dirty_log_and_measures_the_rate()
    {
        var time = new FakeTimeProvider();
        var source = RamDevice.Filled(Spec4, DirtyPattern.Random, 7, time);
        source.SaveSetup(new SaveContext(SwitchoverAck: false));
        Assert.Equal(4L << 20, source.PendingEstimate());
        Assert.Equal(1, source.Statistics.DirtySyncCount);
        Iterate(source, 1 << 20);
        Assert.Equal(0, source.PendingEstimate());

        time.Advance(TimeSpan.FromMilliseconds(500));
        source.Dirty(40 * 4096, new Random(1));
        var dirtied = source.Memory.DirtyLogCount;
        Assert.InRange(dirtied, 30, 40);
        Assert.Equal(0, source.PendingEstimate()); // the estimate does not sync

        Assert.Equal(dirtied * 4096, source.PendingExact());
        var stats = source.Statistics;
        Assert.Equal(2, stats.DirtySyncCount);
        Assert.Equal(dirtied * 2, stats.DirtyPagesRate); // pages per second, over the half second since setup
        Assert.Equal(dirtied * 4096, stats.Remaining);
        Assert.Equal(0, source.Memory.DirtyLogCount);
    }

    [Fact]
    public void Small_budget_still_makes_progress()
    {
        var (source, _) = Pair(DefaultDevices.Ram(16 * 4096));
        var chunks = Iterate(source, 100);
        // Zero markers share a chunk within the budget; a normal page overshoots it alone.
        Assert.All(chunks, c => Assert.True(c.Length <= 100 || c.Length == 4105, $"chunk of {c.Length}"));
        Assert.Equal(16, source.Statistics.Normal + source.Statistics.Duplicate);
        Assert.Equal(source.Statistics.Normal, chunks.Count(c => c.Length == 4105));
    }

    [Fact]
    public void Hot_set_pattern_concentrates_writes_in_the_first_tenth()
    {
        var spec = DefaultDevices.Ram(8 << 20);
        var ram = new RamDevice(spec, DirtyPattern.HotSet);
        ram.Dirty(1000 * 4096L, new Random(5));
        var hot = ram.Memory.PageCount / 10;
        var hotDirty = ram.Memory.CountDirtyBelow(hot);
        var coldDirty = ram.Memory.DirtyLogCount - hotDirty;
        Assert.True(hotDirty / (double)hot > 0.8, $"hot density {hotDirty}/{hot}");
        Assert.True(coldDirty / (double)(ram.Memory.PageCount - hot) < 0.2, $"cold density {coldDirty}");
    }

    [Fact]
    public async Task Cleanup_allows_a_second_migration_from_scratch()
    {
        var (source, first) = Pair(Spec4);
        await Load(first, Iterate(source, Chunk).Concat(Complete(source, Chunk)));
        source.SaveCleanup();
        Assert.Throws<InvalidOperationException>(() => source.SaveIterate(Chunk));

        source.Dirty(64 * 4096, new Random(9));
        var second = new RamDevice(Spec4);
        source.SaveSetup(new SaveContext(false));
        second.LoadSetup(Context(false));
        Assert.Equal(4L << 20, source.PendingEstimate());
        await Load(second, Iterate(source, Chunk).Concat(Complete(source, Chunk)));
        Assert.Equal(source.Digest(), second.Digest());
        Assert.NotEqual(first.Digest(), second.Digest());
    }

    [Theory]
    [InlineData("truncated header", 4)]
    [InlineData("unknown flag", 9)]
    [InlineData("page out of range", 9)]
    [InlineData("truncated page", 9)]
    [InlineData("end marker with a page index", 9)]
    public async Task Malformed_chunk_is_refused_with_the_offset(string kind, int badOffset)
    {
        var destination = new RamDevice(DefaultDevices.Ram(64 * 1024));
        destination.LoadSetup(Context(false));
        var good = new byte[9]; // a zero marker for page 0
        good[8] = 0x02;
        byte[] bad = kind switch
        {
            "truncated header" => [1, 2, 3, 4],
            "unknown flag" => Record(0, 0x7F),
            "page out of range" => Record(16, 0x02),
            "truncated page" => [.. Record(1, 0x08), .. new byte[100]],
            _ => Record(3, 0x10),
        };
        var payload = kind == "truncated header" ? [.. good[..4], .. bad] : good.Concat(bad).ToArray();

        var error = await Assert.ThrowsAsync<DeviceLoadException>(
            async () => await destination.LoadState(new DeviceChunk(payload), CancellationToken.None));
        Assert.StartsWith($"ram: malformed chunk at offset {(kind == "truncated header" ? 0 : badOffset)}", error.Message);

        static byte[] Record(long page, byte flag)
        {
            var record = new byte[9];
            BinaryPrimitives.WriteInt64LittleEndian(record, page);
            record[8] = flag;
            return record;
        }
    }

    [Fact]
    public async Task Records_after_the_end_marker_are_refused()
    {
        var (source, destination) = Pair(DefaultDevices.Ram(8 * 4096));
        await Load(destination, Iterate(source, Chunk).Concat(Complete(source, Chunk)));
        var error = await Assert.ThrowsAsync<DeviceLoadException>(
            async () => await destination.LoadState(new DeviceChunk(new byte[] { 0, 0, 0, 0, 0, 0, 0, 0, 0x02 }), CancellationToken.None));
        Assert.Contains("after the end-of-stream marker", error.Message);
    }
}
