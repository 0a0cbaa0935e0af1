namespace Orchestrator.Devices.Memory;

/// <summary>
/// What RAM and VFIO share: a kind-checked spec, state as <see cref="PagedMemory"/>, one lock for the device's fields, the transferred
/// counter, the load-complete flag, a malformed chunk's error text, guest writes as whole noise pages. Subclasses add the SaveVMHandlers.
/// </summary>
public abstract class PagedDevice : IGuestWorkload
{
    private long transferred;

    /// <exception cref="ArgumentException">The spec's kind is not one of <paramref name="kinds"/>.</exception>
    private protected PagedDevice(DeviceSpec spec, string model, params DeviceKind[] kinds)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (!kinds.Contains(spec.Kind))
        {
            var names = string.Join(" or ", kinds.Select(k => k.Name()));
            throw new ArgumentException($"a {model} device needs kind {names}, not {spec.Kind.Name()}", nameof(spec));
        }

        Spec = spec;
        Memory = new PagedMemory(spec.SizeBytes);
    }

    public DeviceSpec Spec { get; }
    public DeviceName Name => Spec.Name;
    public DeviceKind Kind => Spec.Kind;

    /// <summary>The state's pages; tests poke at them.</summary>
    internal PagedMemory Memory { get; }

    /// <summary>Guards the subclass's fields and the two below; <see cref="Memory"/> has its own lock.</summary>
    private protected Lock Sync { get; } = new();

    public long Transferred
    {
        get
        {
            lock (Sync)
                return transferred;
        }
    }

    public bool LoadComplete
    {
        get
        {
            lock (Sync)
                return Loaded;
        }
    }

    /// <summary>The end marker has been loaded; read and set under <see cref="Sync"/>.</summary>
    private protected bool Loaded { get; set; }

    public virtual DeviceDigest Digest() => Memory.Digest();

    public void Dirty(long bytes, Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        if (bytes > 0 && Memory.PageCount > 0)
        {
            var noise = NoiseSource.From(random);
            Rewrite((bytes + PagedMemory.PageSize - 1) / PagedMemory.PageSize, random, ref noise);
        }
    }

    /// <summary>Rewrites <paramref name="pages"/> pages, chosen uniformly, and marks them dirty.</summary>
    private protected virtual void Rewrite(long pages, Random random, ref NoiseSource noise)
    {
        for (long i = 0; i < pages; i++)
            Memory.WriteNoisePage(random.NextInt64(Memory.PageCount), ref noise, guest: true);
    }

    /// <summary>Counts the chunk's bytes as transferred (call under <see cref="Sync"/>); null when it is empty.</summary>
    private protected DeviceChunk? Hand(ChunkWriter writer)
    {
        transferred += writer.WrittenCount;
        return writer.ToChunk();
    }

    /// <summary>Zeroes the counter at save setup (under <see cref="Sync"/>).</summary>
    private protected void ResetTransferred() => transferred = 0;

    private protected DeviceLoadException Malformed(int offset, string reason) =>
        new($"{Name}: malformed chunk at offset {offset}: {reason}");
}
