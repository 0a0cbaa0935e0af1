namespace Orchestrator.Cli;

/// <summary>
/// Sizes (<c>256MiB</c>), rates (<c>32MiB/s</c>) and durations in <see cref="Quantity"/>'s grammar. Parse* throw a <see cref="UsageException"/>;
/// *Problem give the same text (naming <c>option</c>), null when valid.
/// </summary>
public static class ByteUnits
{
    public static long ParseSize(string text, string option) => Quantity.Size(text) ?? throw new UsageException(SizeProblem(text, option)!);

    public static string? SizeProblem(string text, string option) =>
        Quantity.Size(text) is not null ? null
        : Quantity.IsSizeSyntax(text) ? $"Invalid size '{Shown(text)}' for {option}: too large"
        : $"Invalid size '{Shown(text)}' for {option}: use a number with an optional unit B, KiB, MiB, GiB or TiB (e.g. 256MiB), or MB, GB (decimal)";

    public static long ParseRate(string text, string option) => Quantity.Rate(text) ?? throw new UsageException(RateProblem(text, option)!);

    public static string? RateProblem(string text, string option) => Quantity.Rate(text) is not null ? null
        : $"Invalid rate '{Shown(text)}' for {option}: use bytes per second with an optional unit (e.g. 32MiB/s) or bits per second (100mbit)";

    /// <summary><c>1480ms</c>, <c>1.5s</c> or <c>2min</c>; a bare number is in <paramref name="bare"/> (ms, or s for timeouts as virsh's).</summary>
    public static TimeSpan ParseDuration(string text, string option, string bare = "ms") =>
        Quantity.Duration(text, bare) ?? throw new UsageException(DurationProblem(text, option, bare)!);

    public static string? DurationProblem(string text, string option, string bare = "ms") =>
        Quantity.Duration(text, bare) is not null ? null
        : Quantity.IsDurationSyntax(text) ? $"Invalid duration '{Shown(text)}' for {option}: at most {Quantity.MaxDuration.TotalDays:0} days"
        : bare == "s" ? $"Invalid duration '{Shown(text)}' for {option}: use seconds (e.g. 30 or 30s), minutes (2min) or milliseconds (500ms)"
        : $"Invalid duration '{Shown(text)}' for {option}: use milliseconds (e.g. 1480 or 1480ms), seconds (1.5s) or minutes (2min)";

    private static string Shown(string text) => Actors.Host.NameRule.Shown(text);

    public static string Format(double bytes) => Quantity.Format(bytes);
}
