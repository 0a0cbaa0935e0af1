using Orchestrator.Actors.Migration;
using Orchestrator.Cli;
using Xunit;

namespace Orchestrator.Tests.Cli;

public sealed class ByteUnitsTests
{
    [Theory]
    [InlineData("256MiB", 256L << 20)]
    [InlineData("1GiB", 1L << 30)]
    [InlineData("64M", 64L << 20)]
    [InlineData("4096", 4096)]
    [InlineData("0", 0)]
    [InlineData("1.5KiB", 1536)]
    [InlineData("256MB", 256_000_000)]
    [InlineData("2GB", 2_000_000_000)]
    [InlineData("1TB", 1_000_000_000_000)]
    public void Sizes_are_binary_with_QEMUs_suffixes_and_decimal_where_they_say_so(string text, long bytes) =>
        Assert.Equal(bytes, ByteUnits.ParseSize(text, "--ram"));

    [Theory]
    [InlineData("32MiB/s", 32L << 20)]
    [InlineData("32MiB", 32L << 20)]
    [InlineData("1000", 1000)]
    [InlineData("100mbit", 12_500_000)]
    [InlineData("1gbit", 125_000_000)]
    [InlineData("500kbit/s", 62_500)]
    public void Rates_are_bytes_per_second_or_bits_as_tc_writes_them(string text, long bytes) =>
        Assert.Equal(bytes, ByteUnits.ParseRate(text, "--dirty-rate"));

    [Theory]
    [InlineData("5", 5_000)]
    [InlineData("2min", 120_000)]
    [InlineData("500ms", 500)]
    public void A_timeouts_bare_number_is_seconds_as_virshs(string text, double ms) =>
        Assert.Equal(ms, ByteUnits.ParseDuration(text, "--timeout", bare: "s").TotalMilliseconds);

    [Theory]
    [InlineData("10MiB", 10L << 20)]
    [InlineData("10MiB/s", 10L << 20)]
    [InlineData("100mbit", 12_500_000)]
    [InlineData("1048576", 1_048_576)]
    public void Max_bandwidth_takes_a_rate_with_its_unit_or_QMPs_bytes_per_second(string text, long bytes) =>
        Assert.Equal(bytes, new MigrationParameters().With("max-bandwidth", text).MaxBandwidth);

    [Theory]
    [InlineData("1480", 1480)]
    [InlineData("1480ms", 1480)]
    [InlineData("1.5s", 1500)]
    public void Durations_default_to_milliseconds(string text, double ms) =>
        Assert.Equal(ms, ByteUnits.ParseDuration(text, "--vfio-alloc").TotalMilliseconds);

    [Theory]
    [InlineData("-1")]
    [InlineData("12XB")]
    [InlineData("")]
    [InlineData("MiB")]
    public void Bad_sizes_name_the_option(string text)
    {
        var error = Assert.Throws<UsageException>(() => ByteUnits.ParseSize(text, "--vfio"));
        Assert.Contains("--vfio", error.Message);
    }

    [Theory]
    [InlineData("99999999999999999999999999999999999999")]
    [InlineData("9999999999999999TiB")]
    public void A_size_past_what_a_number_holds_is_too_large_not_a_crash(string text)
    {
        var error = Assert.Throws<UsageException>(() => ByteUnits.ParseSize(text, "--ram"));
        Assert.Equal($"Invalid size '{text}' for --ram: too large", error.Message);
    }

    [Fact]
    public void A_duration_past_a_year_is_refused_not_a_crash()
    {
        var error = Assert.Throws<UsageException>(() => ByteUnits.ParseDuration("99999999999999999999999999s", "--timeout"));
        Assert.Equal("Invalid duration '99999999999999999999999999s' for --timeout: at most 365 days", error.Message);
    }
}
