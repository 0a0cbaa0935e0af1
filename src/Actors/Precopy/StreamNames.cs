namespace Orchestrator.Actors.Precopy;

/// <summary>Actor names for a device's stream ends; device names like <c>0000:17:00.2</c> hold characters a path may not.</summary>
internal static class StreamNames
{
    public static string Streamer(DeviceName device) => $"stream-{PathSafe(device)}";

    public static string Loader(DeviceName device) => $"load-{PathSafe(device)}";

    private static string PathSafe(DeviceName device) =>
        new(device.Value.Select(c => char.IsLetterOrDigit(c) || c is '-' or '_' ? c : '-').ToArray());
}
