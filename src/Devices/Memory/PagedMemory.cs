using System.IO.Hashing;

namespace Orchestrator.Devices.Memory;

/// <summary>
/// Guest memory or device state as 4 KiB pages in 1 MiB segments (no giant arrays for multi-GiB), each allocated on its first non-zero
/// write and left uninitialized: a page holds data only once written (<c>written</c>), so neither the runtime nor a zero page ever
/// writes zeros, and the OS backs a page on its first write, as QEMU's anonymous guest memory is. An empty destination costs almost
/// nothing until state arrives, and a zero page landing on it costs nothing. Guest writes mark the dirty log (what migration tracks);
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

    // Pages whose bytes in their segment are content; any other page is zero, whatever its (uninitialized) bytes hold.
    private readonly PageBitmap written;

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
        written = new PageBitmap(PageCount);
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

    /// <summary>A zero-page marker from a migration stream: the page becomes all zeros, without a byte written.</summary>
    public void LoadZeroPage(long page)
    {
        CheckPage(page);
        lock (sync)
        {
            if (written.Clear(page))
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
            return IsZero(Content(page));
        }
    }

    public static bool IsZero(ReadOnlySpan<byte> page) => page.IndexOfAnyExcept((byte)0) < 0;

    /// <summary>Rewrites the page with noise in place (no staging buffer); <paramref name="guest"/> marks the dirty log.</summary>
    internal void WriteNoisePage(long page, ref NoiseSource noise, bool guest)
    {
        CheckPage(page);
        lock (sync)
        {
            noise.Fill(PageIn(Segment(page), page));
            written.Set(page);
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
            written.ClearAll();
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
                var content = Content(page);
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
        // Only where nothing is allocated yet is zero worth a look: the page is zero already, and stays unallocated. Elsewhere the
        // copy is the whole cost (stream loads are never zero: zero pages travel as markers, LoadZeroPage).
        var segment = segments[page >> PagesPerSegmentShift];
        if (segment is null && IsZero(content))
            return;

        content.CopyTo(PageIn(segment ?? Segment(page), page));
        written.Set(page);
        stale.Set(page);
    }

    private void Read(long page, Span<byte> into) => Content(page).CopyTo(into);

    /// <summary>The page's bytes: its segment's, or zeros when it holds no content.</summary>
    private ReadOnlySpan<byte> Content(long page) =>
        written.Get(page) ? PageIn(segments[page >> PagesPerSegmentShift]!, page) : ZeroPage;

    /// <summary>The page's segment, allocated uninitialized if it has none: only written pages are ever read from it.</summary>
    private byte[] Segment(long page) =>
        segments[page >> PagesPerSegmentShift] ??= GC.AllocateUninitializedArray<byte>(1 << SegmentShift);

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
