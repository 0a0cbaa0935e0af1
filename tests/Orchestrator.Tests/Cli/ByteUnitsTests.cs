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
    public void Sizes_use_binary_units(string text, long bytes) => Assert.Equal(bytes, ByteUnits.ParseSize(text, "--ram"));

    [Theory]
    [InlineData("32MiB/s", 32L << 20)]
    [InlineData("1000", 1000)]
    public void Rates_are_bytes_per_second(string text, long bytes) => Assert.Equal(bytes, ByteUnits.ParseRate(text, "--dirty-rate"));

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
