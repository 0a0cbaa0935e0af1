namespace Orchestrator.Devices.Contract;

/// <summary>What the destination tells a device at <c>load_setup</c>.</summary>
/// <param name="SwitchoverAck">The destination has switchover-ack on.</param>
/// <param name="ApproveSwitchover">QEMU's <c>qemu_loadvm_approve_switchover</c>: called once, from any thread, once initial data and resources are in.</param>
public sealed record LoadContext(bool SwitchoverAck, Action ApproveSwitchover);
