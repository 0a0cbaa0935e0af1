namespace Orchestrator.Devices.Machine;

/// <summary>QEMU's VM change state handlers: devices following the run state (VFIO) register when made; each transition calls all, in order.</summary>
public sealed class VmChangeStateHandlers
{
    private event Action<bool>? Changed;

    /// <summary>
    /// QEMU's <c>qemu_add_vm_change_state_handler</c>: <paramref name="handler"/> hears <c>running</c>. It runs under the VM's lock,
    /// so it must be quick and never call back into the VM.
    /// </summary>
    public void Add(Action<bool> handler) => Changed += handler ?? throw new ArgumentNullException(nameof(handler));

    /// <summary>QEMU's <c>vm_state_notify</c>.</summary>
    internal void Notify(bool running) => Changed?.Invoke(running);
}
