using System.Text;
using Xunit;

namespace Orchestrator.Tests.Api;

/// <summary>The test-only <c>/faults/*</c> exist only on a node started with fault injection enabled.</summary>
public sealed class FaultEndpointsTests(InProcessApi enabled) : IClassFixture<InProcessApi>, IAsyncLifetime
{
    private readonly InProcessApi _disabled = new(faultsEnabled: false);

    public static readonly TheoryData<string, string> Endpoints = new()
    {
        { "POST", "/faults/kill-at" },
        { "POST", "/faults/corrupt" },
        { "GET", "/faults/phases" },
    };

    public Task InitializeAsync() => _disabled.InitializeAsync();

    public Task DisposeAsync() => _disabled.DisposeAsync();

    private static byte[]? Body(string method) => method == "POST" ? Encoding.UTF8.GetBytes("{}") : null;

    [Theory]
    [MemberData(nameof(Endpoints))]
    public async Task With_fault_injection_enabled_the_endpoint_is_mapped(string method, string path)
    {
        var (status, body) = await enabled.Send(new HttpMethod(method), path, Body(method));

        Assert.True(status is 200 or 400, $"{method} {path}: {status} {body}");
    }

    [Theory]
    [MemberData(nameof(Endpoints))]
    public async Task Without_fault_injection_the_endpoint_is_a_404_as_any_unknown_path(string method, string path)
    {
        var unknown = await _disabled.Send(new HttpMethod(method), "/no-such-path", Body(method));

        var answer = await _disabled.Send(new HttpMethod(method), path, Body(method));

        Assert.Equal(404, answer.Status);
        Assert.Equal(unknown, answer);
    }
}
