using System.Globalization;
using System.Text.RegularExpressions;

namespace Orchestrator.Drills.Files;

/// <summary>Sizes (<c>32MiB</c>), rates (<c>4MiB/s</c>), durations (<c>300ms</c>, <c>1.5s</c>) and ratios (<c>5%</c>) as drill files write them.</summary>
internal static partial class Quantities
{
    public static long? Size(string text)
    {
        var match = SizePattern().Match(text.Trim());
        if (!match.Success)
            return null;
        var unit = match.Groups["u"].Value.ToLowerInvariant() switch
        {
            "" or "b" => 1m,
            "k" or "kib" => 1024m,
            "m" or "mib" => 1024m * 1024,
            "g" or "gib" => 1024m * 1024 * 1024,
            "t" or "tib" => 1024m * 1024 * 1024 * 1024,
            _ => 0m,
        };
        // Bounded before multiplying: more digits than a decimal holds is "not a size", never a crash.
        if (unit == 0 || !decimal.TryParse(match.Groups["n"].Value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var n)
            || n > long.MaxValue / 2 / unit)
            return null;
        return (long)Math.Ceiling(n * unit);
    }

    public static long? Rate(string text)
    {
        var trimmed = text.Trim();
        return Size(trimmed.EndsWith("/s", StringComparison.OrdinalIgnoreCase) ? trimmed[..^2] : trimmed);
    }

    public static TimeSpan? Duration(string text)
    {
        var match = DurationPattern().Match(text.Trim());
        if (!match.Success)
            return null;
        var n = double.Parse(match.Groups["n"].Value, CultureInfo.InvariantCulture);
        var ms = match.Groups["u"].Value switch
        {
            "ms" => n,
            "s" => n * 1000,
            _ => n * 60_000,
        };
        // Past a year is no drill's wait, and past TimeSpan's range a crash: "not a duration".
        return ms <= TimeSpan.FromDays(365).TotalMilliseconds ? TimeSpan.FromMilliseconds(ms) : null;
    }

    public static double? Ratio(string text)
    {
        var trimmed = text.Trim();
        var percent = trimmed.EndsWith('%');
        if (!double.TryParse(percent ? trimmed[..^1] : trimmed, NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
            return null;
        return percent ? value / 100 : value;
    }

    [GeneratedRegex(@"^(?<n>\d+(\.\d+)?)\s*(?<u>[A-Za-z]*)$")]
    private static partial Regex SizePattern();

    [GeneratedRegex(@"^(?<n>\d+(\.\d+)?)\s*(?<u>ms|s|min)$")]
    private static partial Regex DurationPattern();
}
