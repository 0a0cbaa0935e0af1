namespace Orchestrator.Devices.Contract;

/// <summary>What the migration tells a source device at <c>save_setup</c>.</summary>
/// <param name="SwitchoverAck">The source has switchover-ack on: VFIO sends INIT_DATA_SENT after its initial bytes.</param>
public sealed record SaveContext(bool SwitchoverAck);
