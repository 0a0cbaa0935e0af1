namespace Orchestrator.Actors.Fleet;

/// <summary>A running VM, where it runs and how much memory it takes there, in bytes.</summary>
internal sealed record VmLoad(string Name, string Host, long Size);
