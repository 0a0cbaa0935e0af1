using Orchestrator.Actors.Migration;
using Orchestrator.Actors.Multifd;
using Xunit;

namespace Orchestrator.Tests.Multifd;

public sealed class MultifdSettingsTests
{
    [Fact]
    public void Multifd_is_a_capability_off_by_default_and_settable_by_its_QEMU_name()
    {
        Assert.False(new MigrationCapabilities().Multifd);
        Assert.True(MigrationCapabilities.ParseList("return-path,multifd").Multifd);
        Assert.Equal("return-path,switchover-ack,multifd", new MigrationCapabilities().With("multifd", true).ToString());
        Assert.Contains(("multifd", true), new MigrationCapabilities(Multifd: true).States());
    }

    [Fact]
    public void Multifd_channels_defaults_to_2_as_in_QEMU()
    {
        Assert.Equal(2, new MigrationParameters().MultifdChannels);
        Assert.Equal(1, new MigrationParameters().With("multifd-channels", "1").MultifdChannels);
        Assert.Equal(255, new MigrationParameters().With("multifd_channels", "255").MultifdChannels);
    }

    [Theory]
    [InlineData("multifd-channels", "0")]
    [InlineData("multifd-channels", "256")]
    [InlineData("multifd-channels", "-1")]
    [InlineData("multifd-channels", "two")]
    [InlineData("multifd_channels", "0")]
    public void Multifd_channels_out_of_range_gets_QEMUs_text_naming_the_parameter_as_typed(string name, string value)
    {
        var e = Assert.Throws<MigrationArgumentException>(() => new MigrationParameters().With(name, value));
        Assert.Equal($"Parameter '{name}' expects a value between 1 and 255", e.Message);
    }

    [Theory]
    [InlineData(2, 0, "multifd mismatch: multifd on with 2 channels at the source, multifd off at the destination")]
    [InlineData(0, 4, "multifd mismatch: multifd off at the source, multifd on with 4 channels at the destination")]
    [InlineData(1, 8, "multifd mismatch: multifd on with 1 channel at the source, multifd on with 8 channels at the destination")]
    public void A_mismatch_names_both_sides(int source, int destination, string expected)
    {
        var text = MultifdMismatch.Between(source, destination);
        Assert.NotNull(text);
        Assert.StartsWith(expected, text);
        Assert.EndsWith("set the multifd capability and multifd-channels the same on both sides", text);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    public void The_same_setting_on_both_sides_is_no_mismatch(int channels) => Assert.Null(MultifdMismatch.Between(channels, channels));
}
