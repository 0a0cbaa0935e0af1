using Orchestrator.Devices.Memory;
using Xunit;

namespace Orchestrator.Tests.Devices;

public class PagedMemoryTests
{
    private static byte[] Page(byte fill)
    {
        var page = new byte[PagedMemory.PageSize];
        Array.Fill(page, fill);
        return page;
    }

    [Fact]
    public void Digest_differs_after_one_byte_differs_and_matches_again_once_restored()
    {
        var a = new PagedMemory(1 << 20);
        var b = new PagedMemory(1 << 20);
        for (long p = 0; p < a.PageCount; p += 3)
        {
            a.WritePage(p, Page((byte)(p + 1)));
            b.LoadPage(p, Page((byte)(p + 1)));
        }

        Assert.Equal(a.Digest(), b.Digest());

        var page = new byte[PagedMemory.PageSize];
        b.ReadPage(42, page);
        page[1234] ^= 0x01;
        b.LoadPage(42, page);
        Assert.NotEqual(a.Digest(), b.Digest());

        page[1234] ^= 0x01;
        b.LoadPage(42, page);
        Assert.Equal(a.Digest(), b.Digest());
    }

    [Fact]
    public void Digest_depends_on_position_not_write_order()
    {
        var a = new PagedMemory(64 * 1024);
        var b = new PagedMemory(64 * 1024);
        a.WritePage(1, Page(7));
        a.WritePage(2, Page(9));
        b.WritePage(2, Page(9));
        b.WritePage(1, Page(7));
        Assert.Equal(a.Digest(), b.Digest());

        var swapped = new PagedMemory(64 * 1024);
        swapped.WritePage(1, Page(9));
        swapped.WritePage(2, Page(7));
        Assert.NotEqual(a.Digest(), swapped.Digest());
    }

    [Fact]
    public void Guest_writes_mark_the_dirty_log_and_migration_loads_do_not()
    {
        var memory = new PagedMemory(64 * 1024);
        memory.LoadPage(3, Page(1));
        memory.LoadZeroPage(4);
        Assert.Equal(0, memory.DirtyLogCount);

        memory.WritePage(5, Page(2));
        memory.WritePage(5, Page(3));
        Assert.Equal(1, memory.DirtyLogCount);
        memory.ClearDirtyLog();
        Assert.Equal(0, memory.DirtyLogCount);
    }

    [Fact]
    public void Zero_page_check_and_zero_marker_load()
    {
        var memory = new PagedMemory(64 * 1024);
        Assert.True(memory.IsZeroPage(0));
        memory.WritePage(0, Page(5));
        Assert.False(memory.IsZeroPage(0));
        memory.LoadZeroPage(0);
        Assert.True(memory.IsZeroPage(0));
        Assert.Equal(new PagedMemory(64 * 1024).Digest(), memory.Digest());
    }

    [Fact]
    public void A_page_that_held_data_reads_as_zeros_once_zero_lands_on_it_however_it_came()
    {
        var memory = new PagedMemory(64 * 1024);
        memory.WritePage(1, Page(5));
        memory.LoadPage(2, Page(6));
        var digest = memory.Digest();

        memory.LoadZeroPage(1);
        memory.WritePage(2, new byte[PagedMemory.PageSize]);

        var read = new byte[PagedMemory.PageSize];
        memory.ReadPage(1, read);
        Assert.True(PagedMemory.IsZero(read));
        memory.ReadPage(2, read);
        Assert.True(PagedMemory.IsZero(read));
        Assert.NotEqual(digest, memory.Digest());
        Assert.Equal(new PagedMemory(64 * 1024).Digest(), memory.Digest());
        // Data again after zero: the page's own bytes, not what it held before.
        memory.LoadPage(1, Page(7));
        memory.ReadPage(1, read);
        Assert.Equal(Page(7), read);
    }

    [Fact]
    public void Multi_gib_memory_is_segmented_and_digest_rehashes_only_changed_pages()
    {
        var memory = new PagedMemory(3L << 30);
        Assert.Equal((3L << 30) / PagedMemory.PageSize, memory.PageCount);
        var last = memory.PageCount - 1;
        memory.WritePage(last, Page(0xAB));

        var read = new byte[PagedMemory.PageSize];
        memory.ReadPage(last, read);
        Assert.All(read, b => Assert.Equal(0xAB, b));

        var before = memory.Digest();
        memory.WritePage(last - 1, Page(0xCD));
        var after = memory.Digest();
        Assert.NotEqual(before, after);

        var twin = new PagedMemory(3L << 30);
        twin.LoadPage(last - 1, Page(0xCD));
        twin.LoadPage(last, Page(0xAB));
        Assert.Equal(after, twin.Digest());
    }

    [Fact]
    public void Page_outside_the_memory_is_refused()
    {
        var memory = new PagedMemory(10 * 4096);
        Assert.Throws<ArgumentOutOfRangeException>(() => memory.WritePage(10, Page(1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => memory.ReadPage(-1, new byte[PagedMemory.PageSize]));
    }
}
