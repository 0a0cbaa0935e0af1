using Microsoft.Extensions.Options;

namespace Orchestrator.Node;

/// <summary>
/// Checks the <c>Orchestrator</c> section at start (<c>ValidateOnStart</c>): a bad setting stops the node with an
/// <see cref="OptionsValidationException"/> naming it, which the CLI prints (exit code 2).
/// </summary>
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
