using Akka.Cluster;
using Akka.Hosting;
using Orchestrator.Api;

namespace Orchestrator.Node;

/// <summary>
/// <c>orchestrator node</c>: one process per host on the Generic Host, with Akka.Remote, Akka.Cluster
/// membership and the HTTP API. Ctrl+C or SIGTERM stops it through CoordinatedShutdown.
/// </summary>
public static class NodeCommand
{
    public static async Task<int> Run(IReadOnlyList<string> args, TextWriter output)
    {
        var flags = NodeFlags.ToConfiguration(args);
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.Configuration.AddEnvironmentVariables();
        builder.Configuration.AddInMemoryCollection(flags); // flags win over the environment and appsettings.json
        var settings = (builder.Configuration.GetSection(NodeFlags.Section).Get<NodeOptions>() ?? new NodeOptions()).Validate();

        if (settings.Store.Provider == Actors.Hosting.FleetStoreProvider.Sqlite)
            CreateDataDirectory(settings.DataDir);

        builder.WebHost.UseUrls(settings.Api.ToString());
        builder.Services.AddSingleton(settings);
        builder.Services.AddSingleton<ClusterHosts>();
        builder.Services.AddAkka(NodeSettings.SystemName, akka => akka
            .WithMigration(settings, settings.Migration)
            .AddStartup((system, _) => Cluster.Get(system).RegisterOnMemberUp(() =>
            {
                var cluster = Cluster.Get(system);
                output.WriteLine($"node {settings.Name} up at {cluster.SelfAddress}, API {settings.Api}, cluster of {cluster.State.Members.Count} member(s), fleet store {settings.Store}");
                output.Flush();
            })));
        var app = builder.Build();
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
