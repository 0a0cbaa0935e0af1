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
        var bytes = decimal.Parse(match.Groups["n"].Value, CultureInfo.InvariantCulture) * unit;
        return unit == 0 || bytes > long.MaxValue / 2 ? null : (long)Math.Ceiling(bytes);
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
        return match.Groups["u"].Value switch
        {
            "ms" => TimeSpan.FromMilliseconds(n),
            "s" => TimeSpan.FromSeconds(n),
            "min" => TimeSpan.FromMinutes(n),
            _ => null,
        };
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
