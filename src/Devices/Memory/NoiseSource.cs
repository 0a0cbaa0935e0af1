using System.Runtime.InteropServices;

namespace Orchestrator.Devices.Memory;

/// <summary>xorshift64 page noise: cheap for megabytes per tick, and never a zero word, so a written page never passes for a zero page.</summary>
internal struct NoiseSource
{
    private ulong state;

    public NoiseSource(ulong seed) => state = seed == 0 ? 0x9E3779B97F4A7C15UL : seed;

    public static NoiseSource From(Random random) => new((ulong)random.NextInt64() | 1UL);

    public ulong Next()
    {
        var x = state;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        state = x;
        return x;
    }

    public void Fill(Span<byte> bytes)
    {
        var whole = MemoryMarshal.Cast<byte, ulong>(bytes);
        for (var i = 0; i < whole.Length; i++)
            whole[i] = Next();

        for (var i = whole.Length * sizeof(ulong); i < bytes.Length; i++)
            bytes[i] = (byte)(Next() | 1);
    }
}
