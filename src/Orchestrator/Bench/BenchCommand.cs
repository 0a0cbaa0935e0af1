using Orchestrator.Actors.Precopy;
using Orchestrator.Demo;

namespace Orchestrator.Bench;

/// <summary><c>orchestrator bench</c>: each figure is a ratio of two things measured side by side, so noise moves both.</summary>
public static class BenchCommand
{
    public static async Task<int> Run(BenchOptions options, TextWriter output)
    {
        var say = (string line) => { if (!options.Json) output.WriteLine(line); };
        var streamBytes = options.Quick ? 64L << 20 : 512L << 20;
        var chunk = options.Precopy.ChunkBytes;
        say($"streams: chunk {ByteUnits.Format(chunk)}, window {options.Precopy.Window} chunks per device");

        var channels = options.MultifdChannels;
        say($"1. Throughput: a RAM-only VM of {ByteUnits.Format(streamBytes)} (half zero pages), no dirtying, max-bandwidth unlimited, over");
        say($"   Akka.Remote and over multifd with {channels} channel(s); raw TCP then moves the bytes the Akka.Remote run moved, in the same chunk size");
        var raw = new List<double>();
        var akka = new List<double>();
        var multifd = new List<double>();
        var stream = StreamOnly(streamBytes) with { Precopy = options.Precopy, Verbose = options.Verbose };
        for (var run = 0; run < options.Runs; run++)
        {
            var info = await DemoCommand.Migrate(stream, _ => { }, CancellationToken.None);
            akka.Add(Streamed(info));
            multifd.Add(Streamed(await DemoCommand.Migrate(WithMultifd(stream, channels), _ => { }, CancellationToken.None)));
            raw.Add(await RawTcpThroughput.Measure(info.Transferred, chunk));
            say($"   run {run + 1}: raw TCP {Rate(raw[^1])}, Akka.Remote streams {Rate(akka[^1])}, multifd {Rate(multifd[^1])}");
        }
        var rawMedian = Median(raw);
        var akkaMedian = Median(akka);
        var multifdMedian = Median(multifd);
        say($"   median: raw TCP {Rate(rawMedian)}, Akka.Remote {Rate(akkaMedian)}, multifd {Rate(multifdMedian)}; " +
            $"Akka.Remote/raw = {akkaMedian / rawMedian:0.000}, multifd/raw = {multifdMedian / rawMedian:0.000}");

        var demo = (options.Quick
            ? DemoOptions.Default with { Ram = 64L << 20, Vfio = 64L << 20, Vgpu = 16L << 20 }
            : DemoOptions.Default) with
        { Precopy = options.Precopy, Verbose = options.Verbose };
        say($"2. Downtime of the demo VM (ram {ByteUnits.Format(demo.Ram)}, vfio {ByteUnits.Format(demo.Vfio)} with {demo.VfioAllocation.TotalMilliseconds:0} ms allocation, vgpu {ByteUnits.Format(demo.Vgpu)}), downtime-limit {demo.Parameters.DowntimeLimit} ms");
        var headline = new Dictionary<string, (double On, double Off)>();
        foreach (var (path, shaped) in new[] { ("Akka.Remote", demo), ($"multifd x{channels}", WithMultifd(demo, channels)) })
        {
            var on = new List<double>();
            var off = new List<double>();
            for (var run = 0; run < options.Runs; run++)
            {
                var a = await DemoCommand.Migrate(Ack(shaped, on: true), _ => { }, CancellationToken.None);
                var b = await DemoCommand.Migrate(Ack(shaped, on: false), _ => { }, CancellationToken.None);
                Require(a);
                Require(b);
                on.Add(a.Downtime!.Value);
                off.Add(b.Downtime!.Value);
                say($"   {path}, run {run + 1}: switchover-ack on {a.Downtime} ms (total {a.TotalTime} ms), off {b.Downtime} ms (total {b.TotalTime} ms)");
            }
            headline[path] = (Median(on), Median(off));
            say($"   {path}, median: on {Median(on):0} ms, off {Median(off):0} ms; off/on = {Median(off) / Math.Max(1, Median(on)):0.0}x (seed: 1900/420 = 4.5x)");
        }
        var (onMedian, offMedian) = headline["Akka.Remote"];
        var (onMultifd, offMultifd) = headline[$"multifd x{channels}"];

        if (options.Json)
        {
            output.WriteLine(new JsonObject
            {
                ["runs"] = options.Runs,
                ["stream-bytes"] = streamBytes,
                ["chunk-bytes"] = chunk,
                ["window"] = options.Precopy.Window,
                ["raw-tcp-bytes-per-second"] = Math.Round(rawMedian),
                ["streams-bytes-per-second"] = Math.Round(akkaMedian),
                ["streams-over-raw"] = Math.Round(akkaMedian / rawMedian, 4),
                ["multifd-channels"] = channels,
                ["multifd-bytes-per-second"] = Math.Round(multifdMedian),
                ["multifd-over-raw"] = Math.Round(multifdMedian / rawMedian, 4),
                ["downtime-ack-on-ms"] = onMedian,
                ["downtime-ack-off-ms"] = offMedian,
                ["downtime-off-over-on"] = Math.Round(offMedian / Math.Max(1, onMedian), 2),
                ["multifd-downtime-ack-on-ms"] = onMultifd,
                ["multifd-downtime-ack-off-ms"] = offMultifd,
                ["multifd-downtime-off-over-on"] = Math.Round(offMultifd / Math.Max(1, onMultifd), 2),
            }.ToJsonString(Output.QueryMigrateJson.Indented));
        }
        return 0;
    }

    private static DemoOptions StreamOnly(long bytes) => DemoOptions.Default with
    {
        Ram = bytes,
        Vfio = 0,
        Vgpu = 0,
        DirtyRate = 0,
        Parameters = new MigrationParameters(MaxBandwidth: 0),
    };

    /// <summary>Bytes per second while streaming: setup left out, as raw TCP has none.</summary>
    private static double Streamed(MigrationInfo info)
    {
        Require(info);
        return info.Transferred / ((info.TotalTime - info.SetupTime) / 1000.0);
    }

    /// <summary>multifd on both sides with <paramref name="channels"/> channels each.</summary>
    private static DemoOptions WithMultifd(DemoOptions o, int channels) => o with
    {
        Capabilities = o.Capabilities with { Multifd = true },
        DestinationCapabilities = o.DestinationCapabilities with { Multifd = true },
        Parameters = o.Parameters with { MultifdChannels = channels },
        DestinationMultifdChannels = channels,
    };

    /// <summary>switchover-ack on or off on both sides, return-path on (what it needs).</summary>
    private static DemoOptions Ack(DemoOptions o, bool on) => o with
    {
        Capabilities = o.Capabilities with { ReturnPath = true, SwitchoverAck = on },
        DestinationCapabilities = o.DestinationCapabilities with { ReturnPath = true, SwitchoverAck = on },
    };

    private static void Require(MigrationInfo info)
    {
        if (info.Status != MigrationStatus.Completed)
            throw new InvalidOperationException($"bench migration ended {info.Status.Name()}: {info.ErrorDesc}");
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }

    private static string Rate(double bytesPerSecond) => $"{ByteUnits.Format(bytesPerSecond)}/s";
}
