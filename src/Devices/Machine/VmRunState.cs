namespace Orchestrator.Devices.Machine;

/// <summary>A VM instance's run state on one host.</summary>
public enum VmRunState
{
    /// <summary>Created, not started yet (a destination receiving state, or a new VM).</summary>
    Paused,
    Running,

    /// <summary>Gone for good here: migrated away (QEMU's postmigrate) or discarded.</summary>
    Stopped,
}
