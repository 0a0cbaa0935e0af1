using System.IO.Hashing;

namespace Orchestrator.Devices.Memory;

/// <summary>
/// Guest memory or device state as 4 KiB pages in 1 MiB segments (no giant arrays for multi-GiB), each allocated on its first non-zero
/// write, so an empty destination costs almost nothing until state arrives. Guest writes mark the dirty log (what migration tracks);
/// stream loads do not. Every change marks the page stale for <see cref="Digest"/>, which rehashes only stale pages.
/// Thread-safe behind one lock, held for a page or a batch of pages at a time.
/// </summary>
public sealed class PagedMemory
{
    public const int PageSize = 4096;
    private const int PageShift = 12;
    private const int SegmentShift = 20;
    private const int PagesPerSegmentShift = SegmentShift - PageShift;
    private const int PagesPerSegmentMask = (1 << PagesPerSegmentShift) - 1;

    // Digest rehashes this many bitmap words (64 pages each) per lock hold: 1 MiB of content.
    private const int DigestBatchWords = 4;

    private static readonly byte[] ZeroPage = new byte[PageSize];

    private readonly Lock sync = new();
    private readonly byte[]?[] segments;
    private readonly PageBitmap dirtyLog;
    private readonly PageBitmap stale;

    // Per-page content hash; zero pages hash to 0, so a fresh all-zero memory needs no first pass.
    private readonly ulong[] pageHashes;
    private ulong hashSum;
    private ulong hashXor;

    public PagedMemory(long sizeBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(sizeBytes);
        PageCount = (sizeBytes + PageSize - 1) >> PageShift;
        segments = new byte[]?[(PageCount + PagesPerSegmentMask) >> PagesPerSegmentShift];
        dirtyLog = new PageBitmap(PageCount);
        stale = new PageBitmap(PageCount);
        pageHashes = new ulong[PageCount];
    }

    public long PageCount { get; }

    /// <summary>Size rounded up to whole pages.</summary>
    public long SizeBytes => PageCount << PageShift;

    /// <summary>Bytes of memory actually allocated: 1 MiB per segment that ever held a non-zero page (QEMU's destination maps lazily too).</summary>
    public long AllocatedBytes
    {
        get
        {
            lock (sync)
                return (long)segments.Count(s => s is not null) << SegmentShift;
        }
    }

    /// <summary>Pages written by the guest since the log was last cleared or synced.</summary>
    public long DirtyLogCount
    {
        get
        {
            lock (sync)
                return dirtyLog.Count;
        }
    }

    /// <summary>A guest write: replaces the page and marks it in the dirty log.</summary>
    public void WritePage(long page, ReadOnlySpan<byte> content)
    {
        CheckPage(page);
        CheckPageBuffer(content.Length);
        lock (sync)
        {
            Store(page, content);
            dirtyLog.Set(page);
        }
    }

    /// <summary>A page arriving from a migration stream: replaces it without touching the dirty log.</summary>
    public void LoadPage(long page, ReadOnlySpan<byte> content)
    {
        CheckPage(page);
        CheckPageBuffer(content.Length);
        lock (sync)
            Store(page, content);
    }

    /// <summary>
    /// A zero-page marker from a migration stream: the page becomes all zeros. A page still zero is not written: the OS backs a
    /// segment's pages on first write, so a zero page landing on zero memory costs nothing (QEMU's destination skips them the same way).
    /// </summary>
    public void LoadZeroPage(long page)
    {
        CheckPage(page);
        lock (sync)
        {
            var segment = segments[page >> PagesPerSegmentShift];
            if (segment is null || IsZero(PageIn(segment, page)))
            {
                return; // already zero: reading an untouched page does not make it resident
            }

            PageIn(segment, page).Clear();
            stale.Set(page);
        }
    }

    public void ReadPage(long page, Span<byte> into)
    {
        CheckPage(page);
        CheckPageBuffer(into.Length);
        lock (sync)
            Read(page, into);
    }

    /// <summary>Reads the page and clears its dirty-log bit in one step, so a racing guest write is never lost.</summary>
    internal void ReadPageClearingDirty(long page, Span<byte> into)
    {
        CheckPage(page);
        CheckPageBuffer(into.Length);
        lock (sync)
        {
            Read(page, into);
            dirtyLog.Clear(page);
        }
    }

    public bool IsZeroPage(long page)
    {
        CheckPage(page);
        lock (sync)
        {
            var segment = segments[page >> PagesPerSegmentShift];
            return segment is null || IsZero(PageIn(segment, page));
        }
    }

    public static bool IsZero(ReadOnlySpan<byte> page) => page.IndexOfAnyExcept((byte)0) < 0;

    /// <summary>Rewrites the page with noise in place (no staging buffer); <paramref name="guest"/> marks the dirty log.</summary>
    internal void WriteNoisePage(long page, ref NoiseSource noise, bool guest)
    {
        CheckPage(page);
        lock (sync)
        {
            var segment = segments[page >> PagesPerSegmentShift] ??= new byte[1 << SegmentShift];
            noise.Fill(PageIn(segment, page));
            stale.Set(page);
            if (guest)
                dirtyLog.Set(page);
        }
    }

    public void ClearDirtyLog()
    {
        lock (sync)
            dirtyLog.ClearAll();
    }

    /// <summary>QEMU's dirty bitmap sync: OR the log into <paramref name="target"/>, clear the log; returns the pages the log held.</summary>
    internal long SyncDirtyLogInto(PageBitmap target)
    {
        lock (sync)
            return dirtyLog.MoveInto(target);
    }

    /// <summary>Dirty-log pages in [0, limit).</summary>
    internal long CountDirtyBelow(long limit)
    {
        lock (sync)
            return dirtyLog.CountBelow(limit);
    }

    /// <summary>Next dirty-log page at or after <paramref name="from"/>, wrapping; -1 if the log is empty.</summary>
    internal long NextDirty(long from)
    {
        lock (sync)
            return dirtyLog.NextSetWrapping(from);
    }

    /// <summary>Back to all zeros (a reset device); drops the segments.</summary>
    public void Clear()
    {
        lock (sync)
        {
            Array.Clear(segments);
            Array.Clear(pageHashes);
            hashSum = 0;
            hashXor = 0;
            dirtyLog.ClearAll();
            stale.ClearAll();
        }
    }

    /// <summary>
    /// Content fingerprint: per-page hashes seeded with the page index (position counts), combined by sum and xor, so one page's hash swaps
    /// in O(1); only pages changed since the last call are rehashed. Equal for equal-sized memories with equal bytes.
    /// </summary>
    public DeviceDigest Digest()
    {
        // Most of the work in batches so guest writes are never stalled for a whole pass ...
        var wordCount = stale.Words.Length;
        for (var start = 0; start < wordCount; start += DigestBatchWords)
        {
            lock (sync)
                RehashStale(start, Math.Min(start + DigestBatchWords, wordCount));
        }

        // ... then whatever was written meanwhile, and the answer, under one hold so it is consistent.
        lock (sync)
        {
            RehashStale(0, wordCount);
            return new DeviceDigest($"{hashSum:x16}{hashXor:x16}");
        }
    }

    private void RehashStale(int fromWord, int toWord)
    {
        var words = stale.Words;
        for (var w = fromWord; w < toWord; w++)
        {
            var bits = words[w];
            if (bits == 0)
                continue;

            words[w] = 0;
            stale.AdjustCount(-System.Numerics.BitOperations.PopCount(bits));
            while (bits != 0)
            {
                var page = ((long)w << 6) + System.Numerics.BitOperations.TrailingZeroCount(bits);
                bits &= bits - 1;
                var segment = segments[page >> PagesPerSegmentShift];
                ReadOnlySpan<byte> content = segment is null ? ZeroPage : PageIn(segment, page);
                var hash = IsZero(content) ? 0UL : XxHash3.HashToUInt64(content, page);
                var old = pageHashes[page];
                pageHashes[page] = hash;
                hashSum = hashSum - old + hash;
                hashXor ^= old ^ hash;
            }
        }
    }

    private void Store(long page, ReadOnlySpan<byte> content)
    {
        var index = page >> PagesPerSegmentShift;
        var segment = segments[index];
        if (segment is null)
        {
            if (IsZero(content))
            {
                return; // stays unallocated, already zero
            }

            segment = segments[index] = new byte[1 << SegmentShift];
        }
        else if (IsZero(content) && IsZero(PageIn(segment, page)))
        {
            return; // zero onto zero: left untouched, as in LoadZeroPage
        }

        content.CopyTo(PageIn(segment, page));
        stale.Set(page);
    }

    private void Read(long page, Span<byte> into)
    {
        var segment = segments[page >> PagesPerSegmentShift];
        if (segment is null)
        {
            into.Clear();
        }
        else
        {
            PageIn(segment, page).CopyTo(into);
        }
    }

    private static Span<byte> PageIn(byte[] segment, long page) =>
        segment.AsSpan((int)(page & PagesPerSegmentMask) << PageShift, PageSize);

    private void CheckPage(long page)
    {
        if ((ulong)page >= (ulong)PageCount)
            throw new ArgumentOutOfRangeException(nameof(page), page, $"page outside 0..{PageCount - 1}");
    }

    private static void CheckPageBuffer(int length)
    {
        if (length != PageSize)
            throw new ArgumentException($"a page is {PageSize} bytes, got {length}");
    }
}
