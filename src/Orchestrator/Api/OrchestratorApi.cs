using Akka.Actor;
using Orchestrator.Actors.Migration;

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
                await next(context);
            }
            catch (Exception e) when (e is ApiInputException or MigrationArgumentException)
            {
                await ApiResults.Error(StatusCodes.Status400BadRequest, e.Message).ExecuteAsync(context);
            }
            catch (AskTimeoutException)
            {
                await ApiResults.Unavailable("The cluster").ExecuteAsync(context);
            }
        });
        HostEndpoints.Map(app);
        VmEndpoints.Map(app);
        MigrationEndpoints.Map(app);
        FleetEndpoints.Map(app);
        FaultEndpoints.Map(app);
        return app;
    }
}
