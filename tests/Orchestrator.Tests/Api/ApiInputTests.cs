using System.Text;
using Orchestrator.Api;
using Xunit;

namespace Orchestrator.Tests.Api;

/// <summary>
/// What the API decides at its edge, before any message leaves the node: malformed bodies, bad values and
/// oversized requests on every endpoint that takes a body. The API runs in this process with no cluster
/// behind it, so an answer other than a 500 proves the request never reached the cluster.
/// </summary>
public sealed class ApiInputTests(InProcessApi api) : IClassFixture<InProcessApi>
{
    /// <summary>Every endpoint that reads a body.</summary>
    public static readonly TheoryData<string> BodyEndpoints =
    [
        "/vms", "/vms/vm1/migrate", "/vms/vm1/parameters", "/hosts/host2/capabilities", "/hosts/host2/parameters",
        "/hosts/host2/evacuate-cancel", "/rebalance", "/faults/kill-at", "/faults/corrupt",
    ];

    /// <summary>Bodies no endpoint can read, each a different way of being broken.</summary>
    private static readonly (string What, byte[] Bytes)[] Malformed =
    [
        ("a duplicated key", Utf8("""{"to": "host2", "to": "host3"}""")),
        ("a duplicated key in a nested object", Utf8("""{"parameters": {"max-bandwidth": "1000", "max-bandwidth": "2000"}}""")),
        ("truncated", Utf8("""{"to": "ho""")),
        ("not JSON", Utf8("to=host2")),
        ("invalid UTF-8", [.. Utf8("""{"to": "host"""), 0xC3, 0x28, .. Utf8("\"}")]),
        ("a lone surrogate escaped in a key", Utf8("""{"\ud800": 1}""")),
        ("a lone surrogate escaped in a nested value", Utf8("""{"parameters": {"x": ["\udc00"]}}""")),
        ("nested far too deep", Utf8("{\"to\": " + new string('[', 40) + new string(']', 40) + "}")),
    ];

    private static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    [Theory]
    [MemberData(nameof(BodyEndpoints))]
    public async Task A_malformed_body_is_a_400_naming_what_is_wrong_on_every_endpoint(string path)
    {
        foreach (var (what, bytes) in Malformed)
        {
            var (status, body) = await api.Send(HttpMethod.Post, path, bytes);

            Assert.True(status == 400, $"{what}: {status} {body}");
            Assert.StartsWith("Malformed JSON body: ", InProcessApi.Error(body));
        }
    }

    [Theory]
    [MemberData(nameof(BodyEndpoints))]
    public async Task A_body_that_is_not_an_object_is_a_400_on_every_endpoint(string path)
    {
        foreach (var json in new[] { "[]", "\"host2\"", "42", "null", "true" })
        {
            var (status, body) = await api.Send(HttpMethod.Post, path, Utf8(json));

            Assert.Equal((400, "The request body must be a JSON object"), (status, InProcessApi.Error(body)));
        }
    }

    [Fact]
    public async Task A_duplicated_parameter_names_the_duplicate()
    {
        var (status, body) = await api.Send(HttpMethod.Post, "/vms/vm1/parameters", Utf8("""{"max-bandwidth":"1000","max-bandwidth":"2000"}"""));

        Assert.Equal(400, status);
        Assert.Equal("Malformed JSON body: Duplicate property 'max-bandwidth' encountered during deserialization.", InProcessApi.Error(body));
    }

    [Theory]
    [InlineData("/vms", """{"name": "vm1", "host": "host1", "colour": "red"}""", "Unknown field 'colour' (known: name, host, ram, vfio, vfio-alloc, vgpu, dirty-rate)")]
    [InlineData("/vms", """{"name": "vm1", "host": "host1", "ram": [256]}""", "Field 'ram' must be a string or a number")]
    [InlineData("/vms", """{"name": "vm1", "host": {"name": "host1"}}""", "Field 'host' must be a string or a number")]
    [InlineData("/vms", """{"name": "vm1", "host": "host 1"}""", "Invalid host name 'host 1': use 1 to 63 letters, digits, '.', '_' or '-', starting with a letter or digit")]
    [InlineData("/vms", """{"name": "vm1", "host": "host1", "ram": "99999999999999999999999999999999999999"}""", "Invalid size '99999999999999999999999999999999999999' for ram: too large")]
    [InlineData("/vms", """{"name": "vm1", "host": "host1", "vfio-alloc": "99999999999999999999999999s"}""", "Invalid duration '99999999999999999999999999s' for vfio-alloc: at most 365 days")]
    [InlineData("/vms/vm1/migrate", """{"to": "host2", "speed": "fast"}""", "Unknown field 'speed' (known: to, capabilities, parameters, timeout, timeout-action)")]
    [InlineData("/vms/vm1/migrate", """{"to": "host2", "timeout": "soon"}""", "Field 'timeout' must be a positive duration: seconds (30 or 30s), minutes (2min) or milliseconds, not 'soon'")]
    [InlineData("/vms/vm1/migrate", """{"to": "host2", "timeout": "0s"}""", "Field 'timeout' must be a positive duration: seconds (30 or 30s), minutes (2min) or milliseconds, not '0s'")]
    [InlineData("/vms/vm1/migrate", """{"to": "host2", "parameters": "fast"}""", "Field 'parameters' must be an object")]
    [InlineData("/vms/vm1/migrate", """{"to": "host2", "parameters": {"downtime-limit": {"ms": 300}}}""", "Field 'downtime-limit' must be a string or a number")]
    [InlineData("/vms/vm1/migrate", """{"to": true}""", "Field 'to' must be a string or a number")]
    [InlineData("/vms/vm1/parameters", """{"downtime-limit": false}""", "Field 'downtime-limit' must be a string or a number")]
    [InlineData("/hosts/host2/capabilities", """{"return-path": "yes"}""", "Capability 'return-path' must be true or false")]
    [InlineData("/hosts/host2/evacuate-cancel", """{"abort-running": "maybe"}""", "Field 'abort-running' must be true or false")]
    [InlineData("/hosts/host2/evacuate-cancel", """{"abort": true}""", "Unknown field 'abort' (known: abort-running)")]
    [InlineData("/rebalance", """{"max-moves": "many"}""", "Field 'max-moves' must be a whole number, not 'many'")]
    [InlineData("/rebalance", """{"max-moves": 0}""", "max-moves must be 1 to 1000, not 0")]
    [InlineData("/faults/kill-at", """{"vm": "web", "phase": "lunch", "host": "host2"}""", "Field 'phase' must be one of setup, precopy, waiting-for-acks, stop-copy, after-commit, not 'lunch'")]
    [InlineData("/faults/corrupt", """{"vm": "web", "bits": 2}""", "Unknown field 'bits' (known: vm)")]
    public async Task A_field_of_the_wrong_type_or_unknown_is_a_400_naming_it(string path, string json, string error)
    {
        var (status, body) = await api.Send(HttpMethod.Post, path, Utf8(json));

        Assert.Equal((400, error), (status, InProcessApi.Error(body)));
    }

    [Theory]
    [InlineData("/vms/vm1/parameters", """{"downtime-limit": "2000001"}""", "Parameter 'downtime-limit' expects an integer in the range of 0 to 2000000 ms")]
    [InlineData("/vms/vm1/parameters", """{"max-bandwidth": "1.5"}""", "Parameter 'max-bandwidth' expects an integer in the range of 0 to 9223372036854775807 bytes/second, or a rate such as 10MiB/s or 100mbit")]
    [InlineData("/vms/vm1/parameters", """{"colour": "1"}""", "Parameter 'colour' is unexpected (known: downtime-limit, max-bandwidth, avail-switchover-bandwidth, throttle-trigger-threshold, cpu-throttle-initial, cpu-throttle-increment, max-cpu-throttle, switchover-ack-timeout, multifd-channels)")]
    [InlineData("/vms/vm1/migrate", """{"to": "host2", "parameters": {"switchover-ack-timeout": "-1"}}""", "Parameter 'switchover-ack-timeout' expects an integer in the range of 0 to 86400000 ms")]
    [InlineData("/vms/vm1/migrate", """{"to": "host2", "capabilities": "switchover-ack"}""", "Capability 'switchover-ack' requires capability 'return-path'")]
    [InlineData("/vms/vm1/migrate", """{"to": "host2", "capabilities": "return-path,warp"}""", "Parameter 'capability' does not accept value 'warp' (known: return-path, switchover-ack, pause-before-switchover, auto-converge, multifd)")]
    [InlineData("/vms/vm1/parameters", """{"multifd-channels": "256"}""", "Parameter 'multifd-channels' expects a value between 1 and 255")]
    [InlineData("/hosts/host2/parameters", """{"multifd-channels": "0"}""", "Parameter 'multifd-channels' expects a value between 1 and 255")]
    [InlineData("/hosts/host2/capabilities", """{"warp": true}""", "Parameter 'capability' does not accept value 'warp' (known: return-path, switchover-ack, pause-before-switchover, auto-converge, multifd)")]
    [InlineData("/vms", """{"name": "vm1", "host": "host1", "ram": "1000000"}""", "Field 'ram' must be a multiple of 4 KiB (4096 bytes), a whole number of pages: 1000000 bytes is not; use 1003520 or 999424 bytes, or whole MiB such as 256MiB")]
    [InlineData("/vms", """{"name": "vm1", "host": "host1", "ram": "0"}""", "Field 'ram' must be larger than 0: a VM needs memory")]
    public async Task A_bad_value_is_refused_at_the_edge_with_QEMUs_text_before_any_cluster_message(string path, string json, string error)
    {
        var (status, body) = await api.Send(HttpMethod.Post, path, Utf8(json));

        Assert.Equal((400, error), (status, InProcessApi.Error(body)));
    }

    [Fact]
    public async Task An_error_never_echoes_a_long_value_back_whole()
    {
        var name = new string('x', 5000);

        var (status, body) = await api.Send(HttpMethod.Post, "/vms/vm1/migrate", Utf8($$"""{"to": "{{name}}"}"""));

        Assert.Equal((400, $"Invalid host name '{new string('x', 64)}... (5000 characters)': use 1 to 63 letters, digits, '.', '_' or '-', starting with a letter or digit"),
            (status, InProcessApi.Error(body)));
    }

    [Theory]
    [MemberData(nameof(BodyEndpoints))]
    public async Task A_body_over_64_KiB_is_a_413_naming_the_limit_with_or_without_its_length(string path)
    {
        var big = Utf8($$"""{"downtime-limit": "{{new string('1', 5 << 20)}}"}""");
        var justOver = Utf8($$"""{"downtime-limit": "{{new string('1', RequestBody.MaxBytes - 21)}}"}""");
        Assert.Equal(RequestBody.MaxBytes + 1, justOver.Length);

        foreach (var (bytes, chunked) in new[] { (big, false), (big, true), (justOver, false), (justOver, true) })
        {
            var (status, body) = await api.Send(HttpMethod.Post, path, bytes, chunked);

            Assert.Equal((413, "The request body is larger than the API's limit of 65536 bytes (64 KiB); nothing was changed"),
                (status, InProcessApi.Error(body)));
        }
    }

    [Fact]
    public async Task A_body_of_exactly_64_KiB_is_read()
    {
        var atLimit = Utf8($$"""{"downtime-limit": "{{new string('1', RequestBody.MaxBytes - 22)}}"}""");
        Assert.Equal(RequestBody.MaxBytes, atLimit.Length);

        var (status, body) = await api.Send(HttpMethod.Post, "/vms/vm1/parameters", atLimit, chunked: true);

        Assert.Equal((400, "Parameter 'downtime-limit' expects an integer in the range of 0 to 2000000 ms"), (status, InProcessApi.Error(body)));
    }

    [Fact]
    public async Task An_optional_body_may_be_empty()
    {
        // Past the edge there is no cluster here: the 500 shows the empty body was accepted and the fleet asked.
        var (status, body) = await api.Send(HttpMethod.Post, "/rebalance", []);

        Assert.Equal(500, status);
        Assert.StartsWith("Internal error while answering POST /rebalance: ", InProcessApi.Error(body));
    }

    [Fact]
    public async Task A_failing_handler_still_answers_a_JSON_error_naming_the_request()
    {
        var (status, body) = await api.Send(HttpMethod.Get, InProcessApi.FailingPath);

        Assert.Equal((500, "Internal error while answering GET /test/fails: InvalidOperationException: a handler failed (the node's log has the details)"),
            (status, InProcessApi.Error(body)));
    }
}
