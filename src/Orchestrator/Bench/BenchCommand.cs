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

        say($"1. Throughput: a RAM-only VM of {ByteUnits.Format(streamBytes)} (half zero pages), no dirtying, max-bandwidth unlimited;");
        say("   raw TCP then moves the same number of bytes the streams moved, in the same chunk size");
        var raw = new List<double>();
        var akka = new List<double>();
        for (var run = 0; run < options.Runs; run++)
        {
            var info = await DemoCommand.Migrate(StreamOnly(streamBytes) with { Precopy = options.Precopy }, _ => { }, CancellationToken.None);
            Require(info);
            akka.Add(info.Transferred / ((info.TotalTime - info.SetupTime) / 1000.0));
            raw.Add(await RawTcpThroughput.Measure(info.Transferred, chunk));
            say($"   run {run + 1}: raw TCP {Rate(raw[^1])}, Akka.Remote streams {Rate(akka[^1])}");
        }
        var rawMedian = Median(raw);
        var akkaMedian = Median(akka);
        say($"   median: raw TCP {Rate(rawMedian)}, streams {Rate(akkaMedian)}; streams/raw = {akkaMedian / rawMedian:0.000}");

        var demo = (options.Quick
            ? DemoOptions.Default with { Ram = 64L << 20, Vfio = 64L << 20, Vgpu = 16L << 20 }
            : DemoOptions.Default) with
        { Precopy = options.Precopy };
        say($"2. Downtime of the demo VM (ram {ByteUnits.Format(demo.Ram)}, vfio {ByteUnits.Format(demo.Vfio)} with {demo.VfioAllocation.TotalMilliseconds:0} ms allocation, vgpu {ByteUnits.Format(demo.Vgpu)}), downtime-limit {demo.Parameters.DowntimeLimit} ms");
        var on = new List<double>();
        var off = new List<double>();
        var withAck = MigrationCapabilities.ParseList("return-path,switchover-ack");
        var withoutAck = MigrationCapabilities.ParseList("return-path");
        for (var run = 0; run < options.Runs; run++)
        {
            var a = await DemoCommand.Migrate(demo with { Capabilities = withAck, DestinationCapabilities = withAck }, _ => { }, CancellationToken.None);
            var b = await DemoCommand.Migrate(demo with { Capabilities = withoutAck, DestinationCapabilities = withoutAck }, _ => { }, CancellationToken.None);
            Require(a);
            Require(b);
            on.Add(a.Downtime!.Value);
            off.Add(b.Downtime!.Value);
            say($"   run {run + 1}: switchover-ack on {a.Downtime} ms (total {a.TotalTime} ms), off {b.Downtime} ms (total {b.TotalTime} ms)");
        }
        var onMedian = Median(on);
        var offMedian = Median(off);
        say($"   median: on {onMedian:0} ms, off {offMedian:0} ms; off/on = {offMedian / Math.Max(1, onMedian):0.0}x (seed: 1900/420 = 4.5x)");

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
                ["downtime-ack-on-ms"] = onMedian,
                ["downtime-ack-off-ms"] = offMedian,
                ["downtime-off-over-on"] = Math.Round(offMedian / Math.Max(1, onMedian), 2),
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
