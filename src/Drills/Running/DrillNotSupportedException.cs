namespace Orchestrator.Drills.Running;

/// <summary>A drill asks for a fault this engine cannot produce; nothing was started.</summary>
public sealed class DrillNotSupportedException(string message) : Exception(message);
