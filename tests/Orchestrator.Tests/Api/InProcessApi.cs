using System.Text.Json.Nodes;
using Akka.Actor;
using Akka.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orchestrator.Actors.Faults;
using Orchestrator.Actors.Wiring;
using Orchestrator.Api;
using Orchestrator.Node;
using Xunit;

namespace Orchestrator.Tests.Api;

/// <summary>
/// The node's HTTP API on Kestrel in this process, on a free loopback port, with no cluster behind it: the
/// ActorSystem is a plain local one, so any request that gets past the edge and asks the cluster fails
/// with a 500. What the edge decides (bodies, values, sizes) is answered exactly as a node answers it.
/// </summary>
public sealed class InProcessApi : IAsyncLifetime
{
    /// <summary>Throws, as any bug in a handler would; the API must still answer JSON.</summary>
    public const string FailingPath = "/test/fails";

    private readonly ActorSystem _system = ActorSystem.Create("api-tests");
    private readonly bool _faultsEnabled;
    private WebApplication? _app;

    public InProcessApi()
        : this(faultsEnabled: true)
    {
    }

    /// <param name="faultsEnabled">As <c>Faults:Enabled</c> on a node: with it, <c>/faults/*</c> are mapped.</param>
    internal InProcessApi(bool faultsEnabled) => _faultsEnabled = faultsEnabled;

    public HttpClient Http { get; } = new() { Timeout = TimeSpan.FromSeconds(30) };

    public string Url { get; private set; } = "";

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var registry = new ActorRegistry();
        if (_faultsEnabled)
            registry.Register<FaultsKey>(_system.ActorOf(FaultInjector.Props(new IncomingCorruption(_system.Log), () => { }), FaultsProtocol.Name));
        builder.Services.AddSingleton(_system);
        builder.Services.AddSingleton(registry);
        builder.Services.AddSingleton(new NodeOptions { Name = "host1", Faults = { Enabled = _faultsEnabled } }.ToSettings());
        builder.Services.AddSingleton<ClusterHosts>();
        _app = builder.Build();
        _app.MapOrchestratorApi();
        _app.MapGet(FailingPath, IResult () => throw new InvalidOperationException("a handler failed"));
        await _app.StartAsync();
        Url = _app.Urls.Single();
    }

    public async Task DisposeAsync()
    {
        if (_app is not null)
            await _app.DisposeAsync();
        await _system.Terminate();
        Http.Dispose();
    }

    /// <summary>One request with these exact bytes as its body (null: none); the status and the body as text.</summary>
    public async Task<(int Status, string Body)> Send(HttpMethod method, string path, byte[]? body = null, bool chunked = false)
    {
        using var request = new HttpRequestMessage(method, Url + path);
        if (body is not null)
        {
            // A stream of unknown length goes out chunked, with no Content-Length for the server to check first.
            request.Content = chunked ? new StreamContent(new UnknownLengthStream(body)) : new ByteArrayContent(body);
            request.Content.Headers.ContentType = new("application/json");
        }
        using var response = await Http.SendAsync(request);
        return ((int)response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    /// <summary>The <c>error</c> of a JSON error body; fails the test when the body is not one.</summary>
    public static string Error(string body)
    {
        var json = JsonNode.Parse(body) as JsonObject;
        Assert.True(json?["error"] is JsonValue, $"not a JSON error body: '{body}'");
        return (string)json!["error"]!;
    }

    private sealed class UnknownLengthStream(byte[] bytes) : MemoryStream(bytes)
    {
        public override bool CanSeek => false;
    }
}
