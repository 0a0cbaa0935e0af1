using Orchestrator.Cli;
using Xunit;

namespace Orchestrator.Tests.Cli;

public sealed class ArgumentsTests
{
    [Fact]
    public void Without_positionals_a_bare_argument_is_an_error_as_for_the_demo()
    {
        var error = Assert.Throws<UsageException>(() => Arguments.Parse(["--ram", "1MiB", "vm1"], ["--ram"], ["--json"]));

        Assert.Equal("Unexpected argument 'vm1'", error.Message);
    }

    [Fact]
    public void Positionals_keep_their_order_between_options()
    {
        var a = Arguments.Parse(["vm1", "--to", "host2", "x=1", "--wait", "y=2"], ["--to"], ["--wait"], positionals: true);

        Assert.Equal(["vm1", "x=1", "y=2"], a.Positionals);
        Assert.Equal("host2", a.Value("--to"));
        Assert.True(a.Has("--wait"));
    }

    [Fact]
    public void A_double_dash_makes_the_rest_positional()
    {
        var a = Arguments.Parse(["--wait", "--", "--odd-name", "--wait"], [], ["--wait"], positionals: true);

        Assert.Equal(["--odd-name", "--wait"], a.Positionals);
    }

    [Fact]
    public void A_repeated_option_keeps_every_value_and_Value_is_the_last()
    {
        var a = Arguments.Parse(["--capabilities", "return-path", "--capabilities=switchover-ack"], ["--capabilities"], []);

        Assert.Equal(["return-path", "switchover-ack"], a.Values("--capabilities"));
        Assert.Equal("switchover-ack", a.Value("--capabilities"));
        Assert.Empty(a.Values("--other"));
    }

    [Fact]
    public void Missing_and_extra_positionals_are_usage_errors()
    {
        var a = Arguments.Parse(["vm1", "vm2"], [], [], positionals: true);

        Assert.Equal("vm1", a.Positional(0, "VM name"));
        Assert.Equal("Missing host name", Assert.Throws<UsageException>(() => a.Positional(2, "host name")).Message);
        Assert.Equal("Unexpected argument 'vm2'", Assert.Throws<UsageException>(() => a.WithAtMostPositionals(1)).Message);
        Assert.Equal("Missing option --to", Assert.Throws<UsageException>(() => a.Required("--to")).Message);
    }
}
