using Microsoft.Extensions.Options;

namespace Orchestrator.Node;

/// <summary>Checks <c>Orchestrator</c> at start (<c>ValidateOnStart</c>): <see cref="OptionsValidationException"/> names a bad setting (exit 2).</summary>
public sealed class NodeOptionsValidation : IValidateOptions<NodeOptions>
{
    public ValidateOptionsResult Validate(string? name, NodeOptions options) =>
        options.Problem() is { } problem ? ValidateOptionsResult.Fail(problem) : ValidateOptionsResult.Success;
}

public static class NodeOptionsRegistration
{
    /// <summary>Binds <see cref="NodeOptions"/> to <paramref name="configuration"/>'s <c>Orchestrator</c> section and serves the validated <see cref="NodeSettings"/>.</summary>
    public static IServiceCollection AddNodeOptions(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<NodeOptions>().Bind(configuration.GetSection(NodeFlags.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<NodeOptions>, NodeOptionsValidation>();
        return services.AddSingleton(provider => provider.GetRequiredService<IOptions<NodeOptions>>().Value.ToSettings());
    }
}
