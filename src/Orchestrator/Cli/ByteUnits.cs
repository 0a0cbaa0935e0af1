using System.Globalization;
using System.Text.RegularExpressions;

namespace Orchestrator.Cli;

/// <summary>Sizes like <c>256MiB</c> and rates like <c>32MiB/s</c>; suffixes are binary, as in QEMU.</summary>
public static partial class ByteUnits
{
    public static long ParseSize(string text, string option)
    {
        var match = SizePattern().Match(text.Trim());
        if (!match.Success)
            throw new UsageException($"Invalid size '{Shown(text)}' for {option}: use a number with an optional unit B, KiB, MiB, GiB or TiB (e.g. 256MiB)");
        // Checked before multiplying: more digits than a decimal holds must not overflow it.
        var multiplier = Multiplier(match.Groups["u"].Value);
        if (!decimal.TryParse(match.Groups["n"].Value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number)
            || number > long.MaxValue / 2 / multiplier)
            throw new UsageException($"Invalid size '{Shown(text)}' for {option}: too large");
        return (long)Math.Ceiling(number * multiplier);
    }

    public static long ParseRate(string text, string option)
    {
        var trimmed = text.Trim();
        if (trimmed.EndsWith("/s", StringComparison.OrdinalIgnoreCase))
            trimmed = trimmed[..^2];
        try
        {
            return ParseSize(trimmed, option);
        }
        catch (UsageException)
        {
            throw new UsageException($"Invalid rate '{Shown(text)}' for {option}: use bytes per second with an optional unit (e.g. 32MiB/s)");
        }
    }

    /// <summary>Far past any timeout or allocation anyone means, and far inside what a TimeSpan holds.</summary>
    public static readonly TimeSpan MaxDuration = TimeSpan.FromDays(365);

    /// <summary>Milliseconds: <c>1480</c>, <c>1480ms</c> or <c>1.5s</c>.</summary>
    public static TimeSpan ParseDuration(string text, string option)
    {
        var match = DurationPattern().Match(text.Trim());
        if (!match.Success)
            throw new UsageException($"Invalid duration '{Shown(text)}' for {option}: use milliseconds (e.g. 1480 or 1480ms) or seconds (1.5s)");
        var number = double.Parse(match.Groups["n"].Value, CultureInfo.InvariantCulture);
        var ms = match.Groups["u"].Value == "s" ? number * 1000 : number;
        if (ms > MaxDuration.TotalMilliseconds)
            throw new UsageException($"Invalid duration '{Shown(text)}' for {option}: at most {MaxDuration.TotalDays:0} days");
        return TimeSpan.FromMilliseconds(ms);
    }

    private static string Shown(string text) => Actors.Host.NameRule.Shown(text);

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
        "t" or "tib" or "tb" => 1024m * 1024 * 1024 * 1024,
        _ => throw new InvalidOperationException(unit),
    };

    [GeneratedRegex(@"^(?<n>\d+(\.\d+)?)\s*(?<u>(?i:b|k|kb|kib|m|mb|mib|g|gb|gib|t|tb|tib)?)$")]
    private static partial Regex SizePattern();

    [GeneratedRegex(@"^(?<n>\d+(\.\d+)?)\s*(?<u>ms|s)?$")]
    private static partial Regex DurationPattern();
}
