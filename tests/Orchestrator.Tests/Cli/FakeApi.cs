using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Orchestrator.Tests.Cli;

/// <summary>
/// A stand-in for a node's HTTP API on 127.0.0.1: records every request and answers with canned JSON.
/// Unknown routes get 404 with an error naming the route, so a wrong path shows up in the test's stderr.
/// </summary>
public sealed class FakeApi : IAsyncDisposable
{
    public sealed record Request(string Method, string Path, string Body);

    private readonly HttpListener _listener = new();
    private readonly Dictionary<(string Method, string Path), Queue<(int Status, string Body)>> _routes = [];
    private readonly List<Request> _requests = [];
    private readonly Task _serving;

    private FakeApi(int port)
    {
        Url = $"http://127.0.0.1:{port}";
        _listener.Prefixes.Add(Url + "/");
        _listener.Start();
        _serving = Serve();
    }

    public string Url { get; }

    public IReadOnlyList<Request> Requests
    {
        get
        {
            lock (_requests)
                return _requests.ToArray();
        }
    }

    public static FakeApi Start() => new(FreePort());

    /// <summary>A loopback port nobody listens on (the OS just handed it out and took it back).</summary>
    public static int FreePort()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return port;
    }

    /// <summary>Answers for one route, in turn; the last one repeats.</summary>
    public FakeApi On(string method, string path, int status, params string[] bodies)
    {
        lock (_routes)
            _routes[(method, path)] = new Queue<(int, string)>(bodies.DefaultIfEmpty("").Select(b => (status, b)));
        return this;
    }

    private async Task Serve()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }
            using var reader = new StreamReader(context.Request.InputStream, Encoding.UTF8);
            var request = new Request(context.Request.HttpMethod, context.Request.RawUrl ?? "", await reader.ReadToEndAsync());
            lock (_requests)
                _requests.Add(request);
            (int Status, string Body) answer;
            lock (_routes)
            {
                answer = _routes.TryGetValue((request.Method, request.Path), out var queue)
                    ? queue.Count > 1 ? queue.Dequeue() : queue.Peek()
                    : (404, $$"""{"error": "fake API: no route for {{request.Method}} {{request.Path}}"}""");
            }
            var bytes = Encoding.UTF8.GetBytes(answer.Body);
            context.Response.StatusCode = answer.Status;
            if (bytes.Length > 0)
            {
                context.Response.ContentType = "application/json";
                context.Response.ContentLength64 = bytes.Length;
                await context.Response.OutputStream.WriteAsync(bytes);
            }
            context.Response.Close();
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            _listener.Stop();
            _listener.Close();
        }
        catch (HttpListenerException)
        {
            // Managed HttpListener re-binds the port while removing its prefix; when another process
            // (a cluster test's node) took the port in between, that fails. The listener is closed anyway.
        }
        await _serving;
    }
}
