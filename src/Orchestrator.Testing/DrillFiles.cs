namespace Orchestrator.Testing;

/// <summary>Where <see cref="ScenarioTestKit.RunFile"/> finds a drill file a test names by a relative path.</summary>
public static class DrillFiles
{
    /// <summary>
    /// An absolute path as is; a relative one against <paramref name="currentDirectory"/>, then <paramref name="testDirectory"/> and each directory
    /// above it, so <c>deploy/drills/x.yaml</c> is found from a test's <c>bin/Debug/net10.0</c> inside the repository.
    /// </summary>
    /// <exception cref="FileNotFoundException">No such file in any of those places; the message lists each one tried.</exception>
    public static string Resolve(string path, string testDirectory, string currentDirectory)
    {
        if (Path.IsPathRooted(path))
            return path;
        var tried = new List<string>();
        foreach (var dir in Above(testDirectory).Prepend(currentDirectory))
        {
            var candidate = Path.GetFullPath(Path.Combine(dir, path));
            if (File.Exists(candidate))
                return candidate;
            if (!tried.Contains(candidate))
                tried.Add(candidate);
        }
        throw new FileNotFoundException(
            $"Drill file '{path}' not found. Looked in the current directory, then in the test assembly's directory and each one above it:" +
            string.Concat(tried.Select(t => $"{Environment.NewLine}  {t}")) +
            $"{Environment.NewLine}Give an absolute path, or one relative to the current directory or to a directory above {testDirectory}.", path);
    }

    private static IEnumerable<string> Above(string directory)
    {
        for (var dir = new DirectoryInfo(directory); dir is not null; dir = dir.Parent)
            yield return dir.FullName;
    }
}
