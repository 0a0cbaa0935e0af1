namespace Orchestrator.Actors.Multifd;

/// <summary>
/// multifd is not negotiated (QEMU's rule): the capability and <c>multifd-channels</c> must be set the same on both sides. QEMU's
/// destination would wait for channels that never come, or refuse extra ones; ours refuses at setup, naming both sides, the source running.
/// </summary>
internal static class MultifdMismatch
{
    /// <summary>Null when both sides agree; channel counts are 0 where multifd is off.</summary>
    public static string? Between(int source, int destination) =>
        source == destination
            ? null
            : $"multifd mismatch: {Side(source)} at the source, {Side(destination)} at the destination; it is not negotiated: " +
              "set the multifd capability and multifd-channels the same on both sides";

    private static string Side(int channels) => channels == 0 ? "multifd off" : $"multifd on with {channels} channel{(channels == 1 ? "" : "s")}";
}
