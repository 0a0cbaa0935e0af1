using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;

namespace Orchestrator.Cli;

/// <summary>The node's HTTP API (docs/api.md) for the CLI: JSON in and out, <see cref="ApiException"/> on 4xx/5xx, <see cref="ApiUnreachableException"/> on silence.</summary>
public sealed class ApiClient : IDisposable
{
    public const string EnvironmentVariable = "ORCHESTRATOR_API";
    public const string DefaultUrl = "http://127.0.0.1:8080";
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    private readonly HttpClient _http;

    /// <param name="useProxy">False for addresses a proxy cannot reach (a drill's network namespaces).</param>
    public ApiClient(string baseUrl, TimeSpan? timeout = null, bool useProxy = true)
    {
        BaseUrl = baseUrl;
        _http = new HttpClient(new HttpClientHandler { UseProxy = useProxy }) { Timeout = timeout ?? DefaultTimeout };
        _http.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
    }

    /// <summary>The URL as the user gave it, without a trailing slash: what error messages name.</summary>
    public string BaseUrl { get; }

    /// <summary><c>--api</c>, else <c>ORCHESTRATOR_API</c>, else <see cref="DefaultUrl"/>; an http(s) URL or a usage error.</summary>
    public static string ResolveUrl(string? option, string? environment)
    {
        var (url, source) = !string.IsNullOrWhiteSpace(option) ? (option, "--api")
            : !string.IsNullOrWhiteSpace(environment) ? (environment, EnvironmentVariable)
            : (DefaultUrl, "the default");
        url = url.Trim().TrimEnd('/');
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || uri.Query != "" || uri.Fragment != "")
            throw new UsageException($"Invalid API URL '{url}' from {source}: use http://HOST:PORT (e.g. {DefaultUrl})");
        return url;
    }

    /// <summary>One path segment (a VM or host name), escaped so that '/', '?' or '%' in a name stay inside it.</summary>
    public static string Segment(string name) => Uri.EscapeDataString(name);

    public Task<JsonNode?> Get(string path, CancellationToken cancel) => Send(HttpMethod.Get, path, null, cancel);

    public Task<JsonNode?> Post(string path, JsonNode? body, CancellationToken cancel) => Send(HttpMethod.Post, path, body, cancel);

    public Task<JsonNode?> Delete(string path, CancellationToken cancel) => Send(HttpMethod.Delete, path, null, cancel);

    /// <summary>The parsed body, or null when the answer has none (204).</summary>
    public async Task<JsonNode?> Send(HttpMethod method, string path, JsonNode? body, CancellationToken cancel)
    {
        using var request = new HttpRequestMessage(method, new Uri(BaseUrl + path));
        if (body is not null)
            request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        HttpResponseMessage response;
        string text;
        try
        {
            response = await _http.SendAsync(request, cancel);
            text = await response.Content.ReadAsStringAsync(cancel);
        }
        catch (HttpRequestException e)
        {
            throw new ApiUnreachableException(
                $"cannot reach the Orchestrator API at {BaseUrl} ({Reason(e)}): start a node with 'orchestrator node' " +
                $"or point --api / {EnvironmentVariable} at one", e);
        }
        catch (TaskCanceledException e) when (!cancel.IsCancellationRequested)
        {
            throw new ApiUnreachableException(
                $"the Orchestrator API at {BaseUrl} did not answer {method} {path} within {_http.Timeout.TotalSeconds:0} s", e);
        }
        using (response)
        {
            var json = Parse(text);
            if ((int)response.StatusCode >= 400)
            {
                var error = (json as JsonObject)?["error"] is JsonValue value && value.TryGetValue<string>(out var message)
                    ? message
                    : $"{method} {path}: HTTP {(int)response.StatusCode} {response.ReasonPhrase}{(text.Length > 0 ? ": " + Shorten(text) : "")}";
                throw new ApiException((int)response.StatusCode, error);
            }
            if (json is null && text.Trim().Length > 0)
                throw new ApiException((int)response.StatusCode, $"{method} {path}: the answer is not JSON: {Shorten(text)}");
            return json;
        }
    }

    public void Dispose() => _http.Dispose();

    private static JsonNode? Parse(string text)
    {
        try
        {
            return string.IsNullOrWhiteSpace(text) ? null : JsonNode.Parse(text);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string Reason(HttpRequestException e)
    {
        for (Exception? inner = e; inner is not null; inner = inner.InnerException)
        {
            if (inner is SocketException socket)
            {
                return socket.SocketErrorCode switch
                {
                    SocketError.ConnectionRefused => "connection refused",
                    SocketError.HostNotFound or SocketError.NoData or SocketError.TryAgain => "host not found",
                    SocketError.TimedOut => "connection timed out",
                    SocketError.NetworkUnreachable or SocketError.HostUnreachable => "network unreachable",
                    _ => socket.Message,
                };
            }
        }
        return e.HttpRequestError == HttpRequestError.Unknown ? e.Message : $"{e.HttpRequestError}: {e.Message}";
    }

    private static string Shorten(string text)
    {
        var line = text.ReplaceLineEndings(" ").Trim();
        return line.Length <= 200 ? line : line[..200] + "...";
    }
}
