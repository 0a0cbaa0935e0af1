using System.Diagnostics;

namespace Orchestrator.Tests.Cli;

/// <summary>Runs the built <c>orchestrator</c> executable as a separate process, the way a user does.</summary>
public static class OrchestratorProcess
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr);

    public static string Dll => Path.Combine(AppContext.BaseDirectory, "orchestrator.dll");

    public static Task<Result> Run(TimeSpan timeout, params string[] args) => Run(timeout, new Dictionary<string, string>(), args);

    public static Task<Result> Run(TimeSpan timeout, IReadOnlyDictionary<string, string> environment, params string[] args) =>
        Run(timeout, environment, stdin: null, args);

    /// <param name="stdin">Written to the process's stdin, which is then closed (not a terminal); null: stdin is inherited.</param>
    public static async Task<Result> Run(TimeSpan timeout, IReadOnlyDictionary<string, string> environment, string? stdin, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = stdin is not null,
            UseShellExecute = false,
        };
        foreach (var (name, value) in environment)
            start.Environment[name] = value;
        var dll = Dll;
        start.ArgumentList.Add(dll);
        foreach (var arg in args)
            start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        if (stdin is not null)
        {
            await process.StandardInput.WriteAsync(stdin);
            process.StandardInput.Close();
        }
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"orchestrator {string.Join(' ', args)} still running after {timeout}");
        }
        return new Result(process.ExitCode, await stdout, await stderr);
    }
}
