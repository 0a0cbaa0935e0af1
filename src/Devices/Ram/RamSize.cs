namespace Orchestrator.Devices.Ram;

/// <summary>What a VM's RAM size may be: whole 4 KiB pages, as guest memory is. One rule for the API, the CLI, the demo and drills.</summary>
public static class RamSize
{
    /// <summary>Why <paramref name="bytes"/> cannot be a VM's RAM size, or null when it can.</summary>
    /// <param name="what">How the message names the value, e.g. <c>--ram</c> or <c>Field 'ram'</c>.</param>
    public static string? Problem(long bytes, string what)
    {
        if (bytes <= 0)
            return $"{what} must be larger than 0: a VM needs memory";
        if (bytes % PagedMemory.PageSize == 0)
            return null;
        var down = bytes / PagedMemory.PageSize * PagedMemory.PageSize;
        var choices = down > 0 ? $"{down + PagedMemory.PageSize} or {down}" : $"{PagedMemory.PageSize}";
        return $"{what} must be a multiple of 4 KiB (4096 bytes), a whole number of pages: {bytes} bytes is not; use {choices} bytes, or whole MiB such as 256MiB";
    }
}
