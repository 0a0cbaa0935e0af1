using System.Text.Json.Nodes;
using Orchestrator.Cli;
using Xunit;

namespace Orchestrator.Tests.Cli;

/// <summary>Runs client commands in-process against a fake API that records every request.</summary>
public abstract class ClientCommandTests : IAsyncLifetime
{
    protected FakeApi Api { get; private set; } = null!;

    public Task InitializeAsync()
    {
        Api = FakeApi.Start();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await Api.DisposeAsync();

    protected sealed record Result(int ExitCode, string Stdout, string Stderr);

    protected async Task<Result> Run(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = await ClientCommands.Run(args[0], [.. args[1..], "--api", Api.Url], stdout, stderr, CancellationToken.None);
        return new Result(code, stdout.ToString(), stderr.ToString());
    }

    protected FakeApi.Request Single() => Assert.Single(Api.Requests);

    protected static void AssertJson(string expected, string actual) =>
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expected), JsonNode.Parse(actual)), $"expected {expected}\nactual   {actual}");
}
