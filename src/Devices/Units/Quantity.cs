using System.Globalization;
using System.Text.RegularExpressions;

namespace Orchestrator.Devices.Units;

/// <summary>
/// The one grammar for sizes, rates and durations people write (CLI, HTTP API, node options, drill files), so <c>256MB</c> means the same
/// everywhere. Sizes: a number with optional unit B, K/KB/KiB, M/MB/MiB, G/GB/GiB, T/TB/TiB, all binary as in QEMU (<c>1.5GiB</c>).
/// Rates: a size per second (<c>32MiB/s</c>). Durations: a number with optional unit ms (default), s or min (<c>1480</c>, <c>1.5s</c>).
/// Each parser answers null for text that is not one; callers word the error for their own users.
/// </summary>
public static partial class Quantity
{
    /// <summary>Far past any timeout or allocation anyone means, and far inside what a TimeSpan holds.</summary>
    public static readonly TimeSpan MaxDuration = TimeSpan.FromDays(365);

    /// <summary>Bytes, rounded up to a whole byte; null when <paramref name="text"/> is not a size or is too large.</summary>
    public static long? Size(string text)
    {
        var match = SizePattern().Match(text.Trim());
        if (!match.Success)
            return null;
        var unit = Multiplier(match.Groups["u"].Value);
        // Bounded before multiplying: more digits than a decimal holds is "not a size", never a crash.
        if (!decimal.TryParse(match.Groups["n"].Value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var n)
            || n > long.MaxValue / 2 / unit)
            return null;
        return (long)Math.Ceiling(n * unit);
    }

    /// <summary>Bytes per second; the <c>/s</c> may be left out.</summary>
    public static long? Rate(string text)
    {
        var trimmed = text.Trim();
        return Size(trimmed.EndsWith("/s", StringComparison.OrdinalIgnoreCase) ? trimmed[..^2] : trimmed);
    }

    /// <summary>Null when not a duration or longer than <see cref="MaxDuration"/>.</summary>
    public static TimeSpan? Duration(string text)
    {
        var match = DurationPattern().Match(text.Trim());
        if (!match.Success)
            return null;
        var n = double.Parse(match.Groups["n"].Value, CultureInfo.InvariantCulture);
        var ms = match.Groups["u"].Value switch
        {
            "s" => n * 1000,
            "min" => n * 60_000,
            _ => n,
        };
        return ms <= MaxDuration.TotalMilliseconds ? TimeSpan.FromMilliseconds(ms) : null;
    }

    /// <summary>Written as a size, whether or not it fits: tells "too large" from "not a size".</summary>
    public static bool IsSizeSyntax(string text) => SizePattern().IsMatch(text.Trim());

    /// <summary>Written as a duration, whether or not it fits: tells "too long" from "not a duration".</summary>
    public static bool IsDurationSyntax(string text) => DurationPattern().IsMatch(text.Trim());

    /// <summary>Bytes as a person reads them: <c>512 B</c>, <c>1.5 MiB</c>.</summary>
    public static string Format(double bytes)
    {
        string[] units = ["B", "KiB", "MiB", "GiB", "TiB"];
        var unit = 0;
        while (Math.Abs(bytes) >= 1024 && unit < units.Length - 1)
        {
            bytes /= 1024;
            unit++;
        }
        return unit == 0 ? $"{bytes:0} B" : $"{bytes:0.0} {units[unit]}";
    }

    private static decimal Multiplier(string unit) => unit.ToLowerInvariant() switch
    {
        "" or "b" => 1m,
        "k" or "kib" or "kb" => 1024m,
        "m" or "mib" or "mb" => 1024m * 1024,
        "g" or "gib" or "gb" => 1024m * 1024 * 1024,
        _ => 1024m * 1024 * 1024 * 1024,
    };

    [GeneratedRegex(@"^(?<n>\d+(\.\d+)?)\s*(?<u>(?i:b|k|kb|kib|m|mb|mib|g|gb|gib|t|tb|tib)?)$")]
    private static partial Regex SizePattern();

    [GeneratedRegex(@"^(?<n>\d+(\.\d+)?)\s*(?<u>ms|s|min)?$")]
    private static partial Regex DurationPattern();
}
