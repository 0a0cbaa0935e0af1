using System.Text.Encodings.Web;

namespace Orchestrator.Api;

/// <summary>Bad input in a request; answered with 400 and the message.</summary>
public sealed class ApiInputException(string message) : Exception(message);

/// <summary>A request body over <see cref="RequestBody.MaxBytes"/>; answered with 413 naming the limit.</summary>
public sealed class ApiPayloadTooLargeException() : Exception(
    $"The request body is larger than the API's limit of {RequestBody.MaxBytes} bytes ({RequestBody.MaxBytes / 1024} KiB); nothing was changed");

/// <summary>How answers and errors look on the wire: JSON, errors as <c>{"error": "..."}</c>.</summary>
public static class ApiResults
{
    // JSON, never HTML: no need to escape quotes in "There's a migration process in progress".
    private static readonly JsonSerializerOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static IResult Json(JsonNode node, int status = StatusCodes.Status200OK) =>
        Results.Text(node.ToJsonString(Options), "application/json", statusCode: status);

    public static IResult Error(int status, string message) => Json(new JsonObject { ["error"] = message }, status);

    public static IResult Error(CommandResult result) => Error(
        result.Kind switch
        {
            ErrorKind.NotFound => StatusCodes.Status404NotFound,
            ErrorKind.Conflict => StatusCodes.Status409Conflict,
            ErrorKind.Unavailable => StatusCodes.Status503ServiceUnavailable,
            _ => StatusCodes.Status400BadRequest,
        },
        result.Error ?? "unknown error");

    public static IResult VmNotFound(string vm) => Error(StatusCodes.Status404NotFound, $"VM '{vm}' not found");

    /// <summary>404 only when every host answered; otherwise the VM may be on a host that did not.</summary>
    public static IResult VmMissing(string vm, IReadOnlyList<string> silent) => silent.Count == 0
        ? VmNotFound(vm)
        : Error(StatusCodes.Status503ServiceUnavailable,
            $"VM '{vm}' is not on the hosts that answered; {string.Join(", ", silent)} did not answer within {ClusterHosts.AskTimeout.TotalSeconds:0} s (try again)");

    public static IResult HostNotFound(string host) => Error(StatusCodes.Status404NotFound, $"Host '{host}' not found");

    public static IResult Unavailable(string what) =>
        Error(StatusCodes.Status503ServiceUnavailable, $"{what} did not answer within {ClusterHosts.AskTimeout.TotalSeconds:0} s");

    /// <summary>An answer that is neither the expected type nor an error: a bug, said plainly.</summary>
    public static IResult Unexpected(object answer) =>
        Error(StatusCodes.Status500InternalServerError, $"unexpected answer {answer.GetType().Name}");

    /// <summary>Any answer but the one hoped for: the refusal it is, or <see cref="Unexpected"/>.</summary>
    public static IResult Refusal(object answer) => answer is CommandResult error ? Error(error) : Unexpected(answer);

    /// <summary>A command that answers only success or a refusal: success is <c>{}</c>.</summary>
    public static IResult Done(object answer) => answer is CommandResult { Error: null } ? Json(new JsonObject()) : Refusal(answer);
}
