using System.Numerics;

namespace Orchestrator.Devices.Memory;

/// <summary>One bit per page in ulong words (QEMU's dirty bitmaps), the set count kept so estimates cost nothing. Not thread-safe: its owner locks.</summary>
internal sealed class PageBitmap
{
    private readonly ulong[] words;

    public PageBitmap(long length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        Length = length;
        words = new ulong[(length + 63) / 64];
    }

    public long Length { get; }

    /// <summary>Number of set bits.</summary>
    public long Count { get; private set; }

    public bool Get(long index) => (words[index >> 6] & (1UL << (int)(index & 63))) != 0;

    /// <summary>Sets the bit; true if it was clear.</summary>
    public bool Set(long index)
    {
        ref var word = ref words[index >> 6];
        var mask = 1UL << (int)(index & 63);
        if ((word & mask) != 0)
            return false;

        word |= mask;
        Count++;
        return true;
    }

    /// <summary>Clears the bit; true if it was set.</summary>
    public bool Clear(long index)
    {
        ref var word = ref words[index >> 6];
        var mask = 1UL << (int)(index & 63);
        if ((word & mask) == 0)
            return false;

        word &= ~mask;
        Count--;
        return true;
    }

    public void SetAll()
    {
        Array.Fill(words, ulong.MaxValue);
        // Bits past Length stay clear so Count and scans never see phantom pages.
        var tail = (int)(Length & 63);
        if (tail != 0)
            words[^1] = (1UL << tail) - 1;

        Count = Length;
    }

    public void ClearAll()
    {
        Array.Clear(words);
        Count = 0;
    }

    /// <summary>First set bit in [from, Length), or -1.</summary>
    public long NextSet(long from)
    {
        if (from >= Length || Count == 0)
            return -1;

        var w = (int)(from >> 6);
        var word = words[w] & (ulong.MaxValue << (int)(from & 63));
        while (true)
        {
            if (word != 0)
                return ((long)w << 6) + BitOperations.TrailingZeroCount(word);

            if (++w >= words.Length)
                return -1;

            word = words[w];
        }
    }

    /// <summary>First set bit at or after <paramref name="from"/>, wrapping to the start; -1 if none.</summary>
    public long NextSetWrapping(long from)
    {
        if (Count == 0)
            return -1;

        var found = NextSet(from >= Length ? 0 : from);
        return found >= 0 ? found : NextSet(0);
    }

    /// <summary>Set bits in [0, limit).</summary>
    public long CountBelow(long limit)
    {
        limit = Math.Min(limit, Length);
        if (limit <= 0)
            return 0;

        var full = (int)(limit >> 6);
        long count = 0;
        for (var w = 0; w < full; w++)
            count += BitOperations.PopCount(words[w]);

        var tail = (int)(limit & 63);
        if (tail != 0)
            count += BitOperations.PopCount(words[full] & ((1UL << tail) - 1));

        return count;
    }

    /// <summary>ORs every set bit into <paramref name="target"/> and clears this, as QEMU syncs the dirty log; returns how many bits it held.</summary>
    public long MoveInto(PageBitmap target)
    {
        if (target.Length != Length)
            throw new ArgumentException("bitmaps differ in length", nameof(target));

        var moved = Count;
        if (moved == 0)
            return 0;

        for (var w = 0; w < words.Length; w++)
        {
            var bits = words[w];
            if (bits == 0)
                continue;

            target.Count += BitOperations.PopCount(bits & ~target.words[w]);
            target.words[w] |= bits;
            words[w] = 0;
        }

        Count = 0;
        return moved;
    }

    /// <summary>The raw words, for owners that scan and clear in bulk (and fix <see cref="Count"/> themselves).</summary>
    internal Span<ulong> Words => words;

    internal void AdjustCount(long delta) => Count += delta;
}
