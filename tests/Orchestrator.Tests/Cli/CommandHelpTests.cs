using Orchestrator.Cli;
using Xunit;

namespace Orchestrator.Tests.Cli;

/// <summary>Every command answers <c>--help</c> with its own options (Program exits 0 with it), not an error or the whole list.</summary>
public sealed class CommandHelpTests
{
    public static TheoryData<string> Commands() => new(new[] { "demo", "bench", "node", "drill" }.Concat(ClientCommands.Names));

    [Theory]
    [MemberData(nameof(Commands))]
    public void Every_command_has_help_naming_it_and_its_options_only(string command)
    {
        var help = CommandHelp.For(command);

        Assert.NotNull(help);
        Assert.StartsWith($"usage: orchestrator {command} [options]", help);
        Assert.Contains("exit codes: 0", help);
        // Its own lines, not the whole command list.
        Assert.DoesNotContain(command == "demo" ? "run a failover drill" : "migrate a VM between two nodes", help);
    }

    [Fact]
    public void Migrate_help_names_its_options_and_the_API_it_asks()
    {
        var help = CommandHelp.For("migrate")!;

        foreach (var option in new[] { "--to HOST", "--capabilities", "--max-bandwidth", "--timeout", "--timeout-action", "--wait", "--api URL" })
            Assert.Contains(option, help);
        Assert.DoesNotContain("evacuate HOST", help);
    }

    [Theory]
    [InlineData(new[] { "--help" }, true)]
    [InlineData(new[] { "vm1", "-h" }, true)]
    [InlineData(new[] { "--", "--help" }, false)]
    [InlineData(new[] { "--to", "host2" }, false)]
    public void Help_is_asked_anywhere_before_a_double_dash(string[] args, bool asked) => Assert.Equal(asked, CommandHelp.Asked(args));

    [Fact]
    public void An_unknown_command_has_no_help() => Assert.Null(CommandHelp.For("teleport"));

    [Fact]
    public void The_version_is_the_builds_with_the_commit_when_built_from_git() =>
        Assert.Matches(@"^\d+\.\d+\.\d+(\+[0-9a-f]{7,40})?$", Program.Version);
}
