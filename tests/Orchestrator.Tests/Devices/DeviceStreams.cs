using System.Buffers.Binary;
using Orchestrator.Devices.Contract;
using Orchestrator.Devices.Vfio;

namespace Orchestrator.Tests.Devices;

/// <summary>Drives device save handlers the way the migration loop does, without any transport.</summary>
internal static class DeviceStreams
{
    public static List<DeviceChunk> Iterate(IDeviceSaveHandlers source, int maxBytes)
    {
        var chunks = new List<DeviceChunk>();
        while (source.SaveIterate(maxBytes) is { } chunk)
        {
            chunks.Add(chunk);
        }

        return chunks;
    }

    public static List<DeviceChunk> Complete(IDeviceSaveHandlers source, int maxBytes)
    {
        var chunks = new List<DeviceChunk>();
        while (source.SaveCompleteNext(maxBytes) is { } chunk)
        {
            chunks.Add(chunk);
        }

        return chunks;
    }

    public static async Task Load(IDeviceLoadHandlers destination, IEnumerable<DeviceChunk> chunks)
    {
        foreach (var chunk in chunks)
        {
            await destination.LoadState(chunk, CancellationToken.None);
        }
    }

    public static LoadContext Context(bool switchoverAck, Action? approve = null) =>
        new(switchoverAck, approve ?? (() => { }));

    /// <summary>The VFIO records of a stream as (tag, length) in order.</summary>
    public static List<(byte Tag, int Length)> VfioRecords(IEnumerable<DeviceChunk> chunks)
    {
        var records = new List<(byte, int)>();
        foreach (var chunk in chunks)
        {
            var offset = 0;
            while (offset < chunk.Length)
            {
                var length = BinaryPrimitives.ReadInt32LittleEndian(chunk.Payload.Span[(offset + 9)..]);
                records.Add((chunk.Payload.Span[offset], length));
                offset += VfioRecord.HeaderSize + length;
            }
        }

        return records;
    }
}
