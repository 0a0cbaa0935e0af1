namespace Orchestrator.Actors.Migration;

/// <summary>QEMU's migration parameters and defaults; <see cref="With"/> validates a copy: a bad <c>migrate-set-parameters</c> changes nothing.</summary>
/// <param name="DowntimeLimit">ms, 0..2000000 (QEMU: 300).</param>
/// <param name="MaxBandwidth">bytes/s; 0 means unlimited (QEMU: 128 MiB/s).</param>
/// <param name="AvailSwitchoverBandwidth">bytes/s used instead of the measured bandwidth when non-zero.</param>
/// <param name="SwitchoverAckTimeout">ms spent converged but waiting for acks before failing; 0 waits without limit as QEMU does.</param>
/// <param name="MultifdChannels">Channels a migration opens with the <c>multifd</c> capability on, 1..255 (QEMU: 2); set the same on both sides.</param>
public sealed record MigrationParameters(
    long DowntimeLimit = 300,
    long MaxBandwidth = 134217728,
    long AvailSwitchoverBandwidth = 0,
    int ThrottleTriggerThreshold = 50,
    int CpuThrottleInitial = 20,
    int CpuThrottleIncrement = 10,
    int MaxCpuThrottle = 99,
    long SwitchoverAckTimeout = 60000,
    int MultifdChannels = 2)
{
    public const int MaxMultifdChannels = 255;

    public const long MaxDowntimeLimit = 2_000_000;
    public const long MaxSwitchoverAckTimeout = 86_400_000;

    public static readonly IReadOnlyList<string> Names =
    [
        "downtime-limit", "max-bandwidth", "avail-switchover-bandwidth", "throttle-trigger-threshold",
        "cpu-throttle-initial", "cpu-throttle-increment", "max-cpu-throttle", "switchover-ack-timeout",
        "multifd-channels",
    ];

    /// <summary>One parameter set from its text; '-' (QMP) and '_' (QEMU's errors) are both accepted, errors name it as typed.</summary>
    public MigrationParameters With(string name, string value)
    {
        var key = name.Replace('_', '-');
        return key switch
        {
            "downtime-limit" => this with { DowntimeLimit = Integer(name, value, 0, MaxDowntimeLimit, " ms") },
            "max-bandwidth" => this with { MaxBandwidth = Bandwidth(name, value) },
            "avail-switchover-bandwidth" => this with { AvailSwitchoverBandwidth = Integer(name, value, 0, long.MaxValue, " bytes/second") },
            "throttle-trigger-threshold" => this with { ThrottleTriggerThreshold = (int)Integer(name, value, 1, 100, "") },
            "cpu-throttle-initial" => this with { CpuThrottleInitial = (int)Integer(name, value, 1, 99, "") },
            "cpu-throttle-increment" => this with { CpuThrottleIncrement = (int)Integer(name, value, 1, 99, "") },
            "max-cpu-throttle" => this with { MaxCpuThrottle = (int)Integer(name, value, 1, 99, "") },
            "switchover-ack-timeout" => this with { SwitchoverAckTimeout = Integer(name, value, 0, MaxSwitchoverAckTimeout, " ms") },
            "multifd-channels" => this with { MultifdChannels = Channels(name, value) },
            _ => throw new MigrationArgumentException(
                $"Parameter '{name}' is unexpected (known: {string.Join(", ", Names)})"),
        };
    }

    /// <summary>QEMU's migrate_params_check: <c>Parameter 'multifd_channels' expects a value between 1 and 255</c>.</summary>
    private static int Channels(string name, string value) =>
        int.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var parsed)
        && parsed is >= 1 and <= MaxMultifdChannels
            ? parsed
            : throw new MigrationArgumentException($"Parameter '{name}' expects a value between 1 and {MaxMultifdChannels}");

    /// <summary>Bytes per second as QMP takes them, or a rate with its unit (<c>10MiB/s</c>, <c>100mbit</c>), as HMP takes suffixes.</summary>
    private static long Bandwidth(string name, string value) =>
        long.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var bytes) ? bytes
        : value.Any(char.IsLetter) && Devices.Units.Quantity.Rate(value) is { } rate ? rate
        : throw new MigrationArgumentException($"Parameter '{name}' expects an integer in the range of 0 to {long.MaxValue} bytes/second, or a rate such as 10MiB/s or 100mbit");

    private static long Integer(string name, string value, long min, long max, string unit)
    {
        if (long.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var parsed)
            && parsed >= min && parsed <= max)
            return parsed;
        throw new MigrationArgumentException(
            $"Parameter '{name}' expects an integer in the range of {min} to {max}{unit}");
    }
}
