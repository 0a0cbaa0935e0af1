using Akka.Cluster;
using Orchestrator.Api;

namespace Orchestrator.Node;

/// <summary><c>orchestrator node</c>: one process per host (Generic Host, Akka.Cluster, HTTP API); Ctrl+C or SIGTERM runs CoordinatedShutdown.</summary>
public static class NodeCommand
{
    public static async Task<int> Run(IReadOnlyList<string> args, TextWriter output)
    {
        var flags = NodeFlags.ToConfiguration(args);
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.Configuration.AddEnvironmentVariables();
        builder.Configuration.AddInMemoryCollection(flags); // flags win over the environment and appsettings.json
        builder.Services.AddNodeOptions(builder.Configuration);
        builder.Services.AddSingleton<ClusterHosts>();
        builder.Services.AddAkka(NodeSettings.SystemName, (akka, services) =>
        {
            var settings = services.GetRequiredService<NodeSettings>();
            akka.WithOrchestrator(settings.Orchestrator)
                .AddStartup((system, _) => Cluster.Get(system).RegisterOnMemberUp(() =>
                {
                    var cluster = Cluster.Get(system);
                    output.WriteLine($"node {settings.Name} up at {cluster.SelfAddress}, API {settings.Api}, cluster of {cluster.State.Members.Count} member(s), fleet store {settings.Orchestrator.Store}");
                    output.Flush();
                }));
        });
        var app = builder.Build();
        // Binding and validating the options (OptionsValidationException on a bad one) before anything listens.
        var node = app.Services.GetRequiredService<NodeSettings>();
        if (node.Orchestrator.Store.Provider == FleetStoreProvider.Sqlite)
            CreateDataDirectory(node.DataDir);
        app.Urls.Add(node.Api.ToString());
        app.MapOrchestratorApi();
        await app.RunAsync();
        return 0;
    }

    private static void CreateDataDirectory(string dir)
    {
        try
        {
            Directory.CreateDirectory(dir);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new Cli.UsageException($"Cannot create the data directory {dir}: {e.Message}; pick another with --data-dir DIR");
        }
    }
}
