namespace Orchestrator.Devices.Vfio;

/// <summary>VFIO migration v2 device states this model uses (QEMU's names, without the P2P variants).</summary>
public enum VfioDeviceState
{
    /// <summary>RUNNING: the device works; the reset state.</summary>
    Running,

    /// <summary>PRE_COPY: running while the source streams initial and dirty bytes.</summary>
    PreCopy,

    /// <summary>STOP_COPY: stopped; the source drains what is left.</summary>
    StopCopy,

    /// <summary>RESUMING: a destination taking in state.</summary>
    Resuming,

    /// <summary>STOP: stopped, state intact (a loaded destination, or a paused VM).</summary>
    Stop,
}
