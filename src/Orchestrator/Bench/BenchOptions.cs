using Orchestrator.Actors.Precopy;

namespace Orchestrator.Bench;

/// <param name="Quick">Smaller sizes and one run each: a smoke run, not numbers to publish.</param>
/// <param name="Precopy">Chunk size and window of the streams under test.</param>
/// <param name="MultifdChannels">multifd-channels of the rows with multifd on (QEMU's default 2).</param>
/// <param name="Verbose">Akka's own log on stderr, as the demo's <c>--verbose</c>.</param>
public sealed record BenchOptions(bool Quick, bool Json, int Runs, PrecopyProtocol.Settings Precopy, int MultifdChannels = 2, bool Verbose = false)
{
    public static BenchOptions Parse(IReadOnlyList<string> args)
    {
        var a = Arguments.Parse(args, ["--runs", "--chunk", "--window", "--multifd-channels"], ["--quick", "--json", "--fixed-window", "--verbose"]);
        var runs = 3;
        if (a.Value("--runs") is { } text && (!int.TryParse(text, out runs) || runs is < 1 or > 20))
            throw new UsageException($"Invalid --runs '{text}': use 1 to 20");
        var precopy = new PrecopyProtocol.Settings();
        if (a.Value("--chunk") is { } chunk)
        {
            var bytes = ByteUnits.ParseSize(chunk, "--chunk");
            if (bytes is < 4096 or > 2 * 1024 * 1024)
                throw new UsageException($"Invalid --chunk '{chunk}': use 4KiB to 2MiB (the remote frame is 4 MiB)");
            precopy = precopy with { ChunkBytes = (int)bytes };
        }
        if (a.Value("--window") is { } window)
        {
            if (!int.TryParse(window, out var w) || w is < 1 or > 1024)
                throw new UsageException($"Invalid --window '{window}': use 1 to 1024 chunks");
            precopy = precopy with { Window = w };
        }
        if (a.Has("--fixed-window"))
            precopy = precopy.WithFixedWindow();
        var channels = a.Value("--multifd-channels") is { } n ? new MigrationParameters().With("multifd-channels", n).MultifdChannels : 2;
        return new BenchOptions(a.Has("--quick"), a.Has("--json"), a.Has("--quick") ? 1 : runs, precopy, channels, a.Has("--verbose"));
    }
}
