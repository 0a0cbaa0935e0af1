using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orchestrator.Actors.Migration;
using Orchestrator.Cli;
using Orchestrator.Node;
using Xunit;

namespace Orchestrator.Tests.Cli;

public sealed class NodeOptionsTests
{
    private static NodeSettings Settings(IDictionary<string, string?> environment, params string[] flags)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Orchestrator:Capacity"] = "4GiB", ["Orchestrator:Port"] = "5000" })
            .AddInMemoryCollection(environment)
            .AddInMemoryCollection(NodeFlags.ToConfiguration(flags))
            .Build();
        // As the node binds and validates them at start.
        return new ServiceCollection().AddNodeOptions(configuration).BuildServiceProvider().GetRequiredService<NodeSettings>();
    }

    [Fact]
    public void Flags_win_over_the_environment_which_wins_over_appsettings()
    {
        var settings = Settings(
            new Dictionary<string, string?> { ["Orchestrator:Name"] = "from-env", ["Orchestrator:Port"] = "4100" },
            "--name", "host7", "--seed", "10.0.0.1:4053", "--seed=10.0.0.2:4053", "--capabilities", "return-path");

        Assert.Equal("host7", settings.Name);
        Assert.Equal(4100, settings.Orchestrator.Remoting.Port);
        Assert.Equal(4L << 30, settings.Orchestrator.Capacity);
        Assert.Equal(["akka.tcp://orchestrator@10.0.0.1:4053", "akka.tcp://orchestrator@10.0.0.2:4053"], settings.Orchestrator.Membership!.Seeds.Select(s => s.ToString()));
        Assert.Equal(MigrationCapabilities.ParseList("return-path"), settings.Orchestrator.IncomingCapabilities);
        Assert.Equal("http://127.0.0.1:8080/", settings.Api.ToString());
    }

    [Fact]
    public void Fault_injection_is_off_and_migration_bounds_default_unless_set()
    {
        var plain = Settings(new Dictionary<string, string?>(), "--name", "host1");
        var drill = Settings(new Dictionary<string, string?>
        {
            ["Orchestrator:Faults:Enabled"] = "true",
            ["Orchestrator:Migration:SetupTimeout"] = "3",
            ["Orchestrator:Migration:StallTimeout"] = "2.5",
        }, "--name", "host1");

        Assert.False(plain.Orchestrator.FaultInjection);
        Assert.Equal(MigrationSettings.Default, plain.Orchestrator.Migration);
        Assert.True(drill.Orchestrator.FaultInjection);
        Assert.Equal(TimeSpan.FromSeconds(3), drill.Orchestrator.Migration.SetupTimeout);
        Assert.Equal(MigrationSettings.Default.CommitTimeout, drill.Orchestrator.Migration.CommitTimeout);
        Assert.Equal(TimeSpan.FromSeconds(2.5), drill.Orchestrator.Migration.Precopy.Stall);
        Assert.Contains("Migration:SetupTimeout",
            Assert.Throws<OptionsValidationException>(() => Settings(new Dictionary<string, string?> { ["Orchestrator:Migration:SetupTimeout"] = "0" }, "--name", "h")).Message);
    }

    [Fact]
    public void The_stream_queueing_delay_target_is_set_in_seconds_and_0_keeps_fixed_windows()
    {
        NodeSettings Of(string value) => Settings(new Dictionary<string, string?> { ["Orchestrator:Migration:QueueDelayTarget"] = value }, "--name", "h");

        var tight = Of("0.1").Orchestrator.Migration.Precopy;
        var fixedWindows = Of("0").Orchestrator.Migration.Precopy;

        Assert.Equal(TimeSpan.FromMilliseconds(250), MigrationSettings.Default.Precopy.QueueDelay);
        Assert.Equal((TimeSpan.FromSeconds(0.1), 2), (tight.QueueDelay, tight.MinWindow));
        Assert.Equal(fixedWindows.Window, fixedWindows.MinWindow);
        Assert.Equal("Invalid Migration:QueueDelayTarget -1: use 0 (a fixed window) to 60 seconds", Assert.Throws<OptionsValidationException>(() => Of("-1")).Message);
    }

    [Fact]
    public void The_first_node_seeds_itself()
    {
        var settings = Settings(new Dictionary<string, string?>(), "--name", "host1");

        Assert.Equal("akka.tcp://orchestrator@127.0.0.1:5000", Assert.Single(settings.Orchestrator.Membership!.Seeds).ToString());
    }

    [Theory]
    [InlineData("A node needs a name", new string[0])]
    [InlineData("Invalid --seed 'nowhere'", new[] { "--name", "h", "--seed", "nowhere" })]
    [InlineData("Invalid size 'much' for --capacity", new[] { "--name", "h", "--capacity", "much" })]
    [InlineData("Invalid --api 'ftp://x'", new[] { "--name", "h", "--api", "ftp://x" })]
    [InlineData("Unknown option '--nmae'", new[] { "--nmae", "h" })]
    [InlineData("Capability 'switchover-ack' requires capability 'return-path'", new[] { "--name", "h", "--capabilities", "switchover-ack" })]
    public void Bad_settings_are_refused_with_a_message_naming_the_setting(string message, string[] flags)
    {
        var error = Assert.ThrowsAny<Exception>(() => Settings(new Dictionary<string, string?>(), flags));

        // Unknown flags are the command line's; every setting is refused by the options' validation.
        Assert.True(error is UsageException or OptionsValidationException, error.GetType().Name);
        Assert.StartsWith(message, error.Message);
    }
}
