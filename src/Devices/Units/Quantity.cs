using System.Globalization;
using System.Text.RegularExpressions;

namespace Orchestrator.Devices.Units;

/// <summary>
/// The one grammar for sizes, rates and durations people write (CLI, HTTP API, node options, drill files), so <c>256MB</c> means the same
/// everywhere, and what it says. Sizes: a number with optional unit B; K, M, G, T and KiB, MiB, GiB, TiB binary (QEMU's suffixes);
/// KB, MB, GB, TB decimal (<c>256MB</c> is 256,000,000 bytes). Rates: a size per second (<c>32MiB/s</c>, the <c>/s</c> optional), or
/// bits per second as tc writes them (<c>100mbit</c>, <c>1gbit</c>, <c>500kbit</c>, decimal). Durations: a number with optional unit ms,
/// s or min (<c>1480ms</c>, <c>1.5s</c>, <c>2min</c>); a bare number is in the unit the caller names (ms unless it says otherwise).
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

    /// <summary>Bytes per second, rounded up; the <c>/s</c> may be left out; <c>kbit</c>, <c>mbit</c>, <c>gbit</c> are bits per second.</summary>
    public static long? Rate(string text)
    {
        var trimmed = text.Trim();
        if (BitsPattern().Match(trimmed) is { Success: true } bits)
        {
            if (!decimal.TryParse(bits.Groups["n"].Value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var n) || n > 1_000_000_000m)
                return null;
            var perBit = bits.Groups["u"].Value.ToLowerInvariant() switch { "kbit" => 1_000m, "mbit" => 1_000_000m, _ => 1_000_000_000m };
            return (long)Math.Ceiling(n * perBit / 8);
        }
        return Size(trimmed.EndsWith("/s", StringComparison.OrdinalIgnoreCase) ? trimmed[..^2] : trimmed);
    }

    /// <summary>Null when not a duration or longer than <see cref="MaxDuration"/>; a bare number is milliseconds.</summary>
    public static TimeSpan? Duration(string text) => Duration(text, "ms");

    /// <summary>Null when not a duration or longer than <see cref="MaxDuration"/>.</summary>
    /// <param name="bare">The unit of a bare number: <c>ms</c> (QEMU's millisecond parameters) or <c>s</c> (virsh's timeouts).</param>
    public static TimeSpan? Duration(string text, string bare)
    {
        var match = DurationPattern().Match(text.Trim());
        if (!match.Success)
            return null;
        var n = double.Parse(match.Groups["n"].Value, CultureInfo.InvariantCulture);
        var ms = (match.Groups["u"].Value is { Length: > 0 } unit ? unit : bare) switch
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
        "k" or "kib" => 1024m,
        "m" or "mib" => 1024m * 1024,
        "g" or "gib" => 1024m * 1024 * 1024,
        "t" or "tib" => 1024m * 1024 * 1024 * 1024,
        "kb" => 1_000m,
        "mb" => 1_000_000m,
        "gb" => 1_000_000_000m,
        _ => 1_000_000_000_000m,
    };

    [GeneratedRegex(@"^(?<n>\d+(\.\d+)?)\s*(?<u>(?i:b|k|kb|kib|m|mb|mib|g|gb|gib|t|tb|tib)?)$")]
    private static partial Regex SizePattern();

    [GeneratedRegex(@"^(?<n>\d+(\.\d+)?)\s*(?<u>ms|s|min)?$")]
    private static partial Regex DurationPattern();

    [GeneratedRegex(@"^(?<n>\d+(\.\d+)?)\s*(?<u>(?i:kbit|mbit|gbit))(/s)?$")]
    private static partial Regex BitsPattern();
}
