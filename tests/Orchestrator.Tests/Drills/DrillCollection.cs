using Xunit;

namespace Orchestrator.Tests.Drills;

/// <summary>Drills start whole clusters; one at a time, so two never compete for the machine's cores.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class DrillCollection
{
    public const string Name = "drills";
}
