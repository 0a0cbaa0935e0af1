namespace Orchestrator.Actors.Fleet;

/// <summary>
/// Migration permits, held from grant until the migration is terminal; limits are enforced by counting held permits, never a cache
/// of running migrations, so racing requests cannot exceed them. Not thread-safe: one actor owns it and serialises every call.
/// </summary>
internal sealed class PermitLedger
{
    private readonly FleetLimits _limits;

    // Kept sorted in grant order (priority, then sequence) so Grant is a single forward scan.
    private readonly List<PermitRequest> _queued = [];
    private readonly List<PermitRequest> _held = [];
    private readonly Dictionary<string, int> _outbound = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _inbound = new(StringComparer.Ordinal);
    private long _nextSequence;

    public PermitLedger(FleetLimits limits) => _limits = limits.Validated();

    public IReadOnlyList<PermitRequest> Queued => _queued.AsReadOnly();

    public IReadOnlyList<PermitRequest> Held => _held.AsReadOnly();

    public int HeldCount => _held.Count;

    public int OutboundHeld(string host) => _outbound.GetValueOrDefault(host);

    public int InboundHeld(string host) => _inbound.GetValueOrDefault(host);

    public bool Holds(string vm) => IndexOf(_held, vm) >= 0;

    public bool IsQueued(string vm) => IndexOf(_queued, vm) >= 0;

    /// <summary>Why a migration could not be queued: a second one for the same VM, or a move onto its own host; null when it can.</summary>
    public string? Refusal(string vm, string source, string destination) =>
        Holds(vm) || IsQueued(vm) ? QemuErrors.InProgress
        : source == destination ? $"{vm} already runs on {source}; source and destination must differ"
        : null;

    /// <summary>Queues a migration for a permit; refuses (see <see cref="Refusal"/>) a second one for the same VM and a move onto its own host.</summary>
    public bool Enqueue(string vm, string source, string destination, MigrationPriority priority, out string? refusal)
    {
        refusal = Refusal(vm, source, destination);
        if (refusal is not null)
            return false;
        Insert(new PermitRequest(vm, source, destination, priority, _nextSequence++));
        return true;
    }

    /// <summary>Grants queued requests in order while the limits allow; one whose host is at its limit keeps its place, those behind it proceed.</summary>
    public IReadOnlyList<PermitRequest> Grant()
    {
        var granted = new List<PermitRequest>();
        while (Next() is { } request)
        {
            Take(request.Vm);
            granted.Add(request);
        }
        return granted;
    }

    /// <summary>The queued request <see cref="Grant"/> would grant first, without granting it; null when the limits allow none.</summary>
    /// <remarks>The fleet makes the grant durable before it is held (<see cref="Take"/>).</remarks>
    public PermitRequest? Next() => _held.Count >= _limits.PerCluster
        ? null
        : _queued.FirstOrDefault(r => OutboundHeld(r.Source) < _limits.OutboundPerHost && InboundHeld(r.Destination) < _limits.InboundPerHost);

    /// <summary>Holds the permit of a granted request (by <see cref="Next"/>, or before a recovering coordinator started); false if not queued.</summary>
    public bool Take(string vm)
    {
        var index = IndexOf(_queued, vm);
        if (index < 0)
            return false;
        var request = _queued[index];
        _queued.RemoveAt(index);
        _held.Add(request);
        _outbound[request.Source] = OutboundHeld(request.Source) + 1;
        _inbound[request.Destination] = InboundHeld(request.Destination) + 1;
        return true;
    }

    /// <summary>Returns the permit of a migration that reached a terminal state; false if it held none.</summary>
    public bool Release(string vm)
    {
        var index = IndexOf(_held, vm);
        if (index < 0)
            return false;
        var request = _held[index];
        _held.RemoveAt(index);
        Decrement(_outbound, request.Source);
        Decrement(_inbound, request.Destination);
        return true;
    }

    /// <summary>Drops a request that has not been granted yet (cancelled while waiting).</summary>
    public bool Withdraw(string vm) => _queued.RemoveAll(r => r.Vm == vm) > 0;

    /// <summary>Recounts everything from the held permits and throws naming the first broken invariant.</summary>
    public void CheckInvariants()
    {
        if (_held.Count > _limits.PerCluster)
            throw new InvalidOperationException($"PerCluster exceeded: {_held.Count} held, limit {_limits.PerCluster}");
        CheckPerHost(_held.GroupBy(r => r.Source, StringComparer.Ordinal), _outbound, _limits.OutboundPerHost, "OutboundPerHost");
        CheckPerHost(_held.GroupBy(r => r.Destination, StringComparer.Ordinal), _inbound, _limits.InboundPerHost, "InboundPerHost");
        var duplicate = _held.Concat(_queued).GroupBy(r => r.Vm, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
            throw new InvalidOperationException($"one migration per VM violated: {duplicate.Key} has {duplicate.Count()} requests");
    }

    private static void CheckPerHost(IEnumerable<IGrouping<string, PermitRequest>> byHost, Dictionary<string, int> counted, int limit, string name)
    {
        var actual = byHost.ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        if (actual.FirstOrDefault(kv => kv.Value > limit) is { Key: not null } over)
            throw new InvalidOperationException($"{name} exceeded on {over.Key}: {over.Value} held, limit {limit}");
        // The counters Grant trusts must agree with the permits themselves, or a later grant could overshoot.
        var drifted = counted.Where(kv => kv.Value != actual.GetValueOrDefault(kv.Key))
            .Concat(actual.Where(kv => !counted.ContainsKey(kv.Key)))
            .Select(kv => kv.Key)
            .FirstOrDefault();
        if (drifted is not null)
            throw new InvalidOperationException(
                $"{name} count drifted on {drifted}: counted {counted.GetValueOrDefault(drifted)}, held {actual.GetValueOrDefault(drifted)}");
    }

    private static int IndexOf(List<PermitRequest> requests, string vm) => requests.FindIndex(r => r.Vm == vm);

    private static void Decrement(Dictionary<string, int> counts, string host)
    {
        // Remove at zero so the counters hold exactly the hosts with permits, which CheckInvariants compares.
        if (--counts[host] == 0)
            counts.Remove(host);
    }

    private void Insert(PermitRequest request)
    {
        var index = _queued.FindIndex(q => (q.Priority, q.Sequence).CompareTo((request.Priority, request.Sequence)) > 0);
        _queued.Insert(index < 0 ? _queued.Count : index, request);
    }
}
