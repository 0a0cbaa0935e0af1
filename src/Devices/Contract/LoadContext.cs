namespace Orchestrator.Devices.Contract;

/// <summary>What the destination tells a device at <c>load_setup</c>.</summary>
/// <param name="SwitchoverAck">The destination has switchover-ack on.</param>
/// <param name="ApproveSwitchover">
/// QEMU's <c>qemu_loadvm_approve_switchover</c>: the device calls it once, from any thread, when its
/// initial data is loaded and its resources are ready.
/// </param>
public sealed record LoadContext(bool SwitchoverAck, Action ApproveSwitchover);
