using Orchestrator.Testing;
using Xunit;

namespace Orchestrator.Tests.Drills;

/// <summary>How ScenarioTestKit.RunFile finds a drill file named by a relative path.</summary>
public sealed class DrillFilesTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("drill-files-").FullName;
    private readonly string _bin;
    private readonly string _elsewhere;

    public DrillFilesTests()
    {
        _bin = Directory.CreateDirectory(Path.Combine(_root, "repo", "tests", "My.Tests", "bin", "Debug", "net10.0")).FullName;
        _elsewhere = Directory.CreateDirectory(Path.Combine(_root, "elsewhere")).FullName;
        Directory.CreateDirectory(Path.Combine(_root, "repo", "deploy", "drills"));
        File.WriteAllText(Path.Combine(_root, "repo", "deploy", "drills", "web.yaml"), "name: web");
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void A_relative_path_is_found_above_the_test_assembly()
    {
        var found = DrillFiles.Resolve("deploy/drills/web.yaml", _bin, _elsewhere);

        Assert.Equal(Path.Combine(_root, "repo", "deploy", "drills", "web.yaml"), found);
    }

    [Fact]
    public void The_current_directory_comes_first()
    {
        Directory.CreateDirectory(Path.Combine(_elsewhere, "deploy", "drills"));
        File.WriteAllText(Path.Combine(_elsewhere, "deploy", "drills", "web.yaml"), "name: mine");

        Assert.Equal(Path.Combine(_elsewhere, "deploy", "drills", "web.yaml"), DrillFiles.Resolve("deploy/drills/web.yaml", _bin, _elsewhere));
    }

    [Fact]
    public void A_file_found_nowhere_names_every_place_tried()
    {
        var missing = Assert.Throws<FileNotFoundException>(() => DrillFiles.Resolve("deploy/drills/nope.yaml", _bin, _elsewhere));

        var lines = missing.Message.Split(Environment.NewLine);
        Assert.Equal("Drill file 'deploy/drills/nope.yaml' not found. Looked in the current directory, then in the test assembly's directory and each one above it:", lines[0]);
        Assert.Equal($"  {Path.Combine(_elsewhere, "deploy", "drills", "nope.yaml")}", lines[1]);
        Assert.Equal($"  {Path.Combine(_bin, "deploy", "drills", "nope.yaml")}", lines[2]);
        Assert.Contains($"  {Path.Combine(_root, "repo", "deploy", "drills", "nope.yaml")}", lines);
        Assert.Equal("  /deploy/drills/nope.yaml", lines[^2]);
        Assert.Equal($"Give an absolute path, or one relative to the current directory or to a directory above {_bin}.", lines[^1]);
    }

    [Fact]
    public void An_absolute_path_is_taken_as_it_is()
    {
        var path = Path.Combine(_elsewhere, "absent.yaml");

        Assert.Equal(path, DrillFiles.Resolve(path, _bin, _root));
    }
}
