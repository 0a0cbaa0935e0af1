using Microsoft.Extensions.Logging;
using Orchestrator.Node;

namespace Orchestrator.Api;

/// <summary>The node's HTTP API (docs/api.md); every error is JSON and changes nothing.</summary>
public static class OrchestratorApi
{
    public static WebApplication MapOrchestratorApi(this WebApplication app)
    {
        app.Use(async (context, next) =>
        {
            try
            {
                // No endpoint needs more: refused before anything reads it, on every route alike.
                if (context.Request.ContentLength > RequestBody.MaxBytes)
                    throw new ApiPayloadTooLargeException();
                await next(context);
            }
            catch (Exception e) when (e is ApiInputException or MigrationArgumentException or ApiPayloadTooLargeException)
            {
                await ApiResults.Error(e is ApiPayloadTooLargeException ? StatusCodes.Status413PayloadTooLarge : StatusCodes.Status400BadRequest, e.Message)
                    .ExecuteAsync(context);
            }
            catch (BadHttpRequestException e) when (!context.Response.HasStarted)
            {
                // Kestrel's own refusals while a body is read (cut off, bad chunking): its status, in our shape.
                await ApiResults.Error(e.StatusCode, $"Bad request: {e.Message}").ExecuteAsync(context);
            }
            catch (AskTimeoutException)
            {
                await ApiResults.Unavailable("The cluster").ExecuteAsync(context);
            }
            catch (Exception e) when (!context.Response.HasStarted && !context.RequestAborted.IsCancellationRequested)
            {
                // A bug, not the client's fault: still JSON, never an empty 500; the log has the stack.
                app.Logger.LogError(e, "{Method} {Path} failed", context.Request.Method, context.Request.Path);
                await ApiResults.Error(StatusCodes.Status500InternalServerError,
                    $"Internal error while answering {context.Request.Method} {context.Request.Path}: {e.GetType().Name}: {e.Message} (the node's log has the details)").ExecuteAsync(context);
            }
        });
        HostEndpoints.Map(app);
        VmEndpoints.Map(app);
        MigrationEndpoints.Map(app);
        FleetEndpoints.Map(app);
        // TEST-ONLY: a node without fault injection answers /faults/* as it answers any unknown path.
        if (app.Services.GetRequiredService<NodeSettings>().Orchestrator.FaultInjection)
            FaultEndpoints.Map(app);
        return app;
    }
}
