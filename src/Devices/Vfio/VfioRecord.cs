namespace Orchestrator.Devices.Vfio;

/// <summary>
/// VFIO stream records: <c>[byte tag][int64 LE offset][int32 LE length][length bytes]</c>.
/// Tags echo the low byte of QEMU's VFIO_MIG_FLAG_* values. Markers carry offset 0 and length 0.
/// </summary>
internal static class VfioRecord
{
    /// <summary>END_OF_STATE: the device's stream is complete.</summary>
    public const byte EndOfState = 0x01;

    /// <summary>DEV_CONFIG_STATE: the config space / register blob, sent only in stop-copy.</summary>
    public const byte Config = 0x02;

    /// <summary>DEV_DATA_STATE: device state bytes at a byte offset (whole pages).</summary>
    public const byte Data = 0x04;

    /// <summary>INIT_DATA_SENT: the initial bytes are all out (switchover-ack only).</summary>
    public const byte InitDataSent = 0x05;

    public const int HeaderSize = 1 + sizeof(long) + sizeof(int);
}
