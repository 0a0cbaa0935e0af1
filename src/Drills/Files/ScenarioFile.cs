namespace Orchestrator.Drills.Files;

/// <summary>A drill from YAML (.yaml/.yml) or JSON (.json), one schema (docs/drills.md); all problems at once, <c>FILE:LINE: PATH: what is wrong</c>.</summary>
public static class ScenarioFile
{
    /// <exception cref="ScenarioFileException">The file is missing, malformed, or describes a drill that cannot run.</exception>
    public static Scenarios.Scenario Load(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ScenarioFileException([$"{path}: cannot read the drill file: {e.Message}"]);
        }
        return Parse(text, path);
    }

    /// <param name="name">The file's name, for error messages; its extension picks JSON or YAML.</param>
    public static Scenarios.Scenario Parse(string text, string name)
    {
        var display = Path.GetFileName(name);
        FileNode? root;
        try
        {
            root = Path.GetExtension(name).Equals(".json", StringComparison.OrdinalIgnoreCase) ? JsonSource.Parse(text) : YamlSource.Parse(text);
        }
        catch (FileFormatException e)
        {
            throw new ScenarioFileException([$"{display}:{e.Line}: {e.Message}"]);
        }
        var binder = new ScenarioBinder();
        var scenario = binder.Bind(root);
        var errors = binder.Errors.Select(e => Format(display, e.Line, e.Path, e.Message)).ToList();
        if (scenario is not null && errors.Count == 0)
            errors.AddRange(ScenarioCheck.Errors(scenario).Select(e => Format(display, binder.LineOf(e.Path), e.Path, e.Message)));
        if (errors.Count > 0)
            throw new ScenarioFileException(errors);
        return scenario!;
    }

    private static string Format(string file, int line, string path, string message) =>
        path.Length == 0 ? $"{file}:{line}: {message}" : $"{file}:{line}: {path}: {message}";
}
