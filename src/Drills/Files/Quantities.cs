using System.Globalization;
using Orchestrator.Devices.Units;

namespace Orchestrator.Drills.Files;

/// <summary>Sizes (<c>32MiB</c>), rates (<c>4MiB/s</c>) and durations (<c>300ms</c>, <c>1.5s</c>) in <see cref="Quantity"/>'s grammar, shared with the CLI; ratios (<c>5%</c>) as drill files write them.</summary>
internal static class Quantities
{
    public static long? Size(string text) => Quantity.Size(text);

    public static long? Rate(string text) => Quantity.Rate(text);

    public static TimeSpan? Duration(string text) => Quantity.Duration(text);

    public static double? Ratio(string text)
    {
        var trimmed = text.Trim();
        var percent = trimmed.EndsWith('%');
        if (!double.TryParse(percent ? trimmed[..^1] : trimmed, NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
            return null;
        return percent ? value / 100 : value;
    }
}
