using Orchestrator.Actors.Switchover;

namespace Orchestrator.Actors.Migration;

/// <summary>
/// What query-migrate shows of a source migration (QEMU's MigrationInfo), apart from the deciding actor: milestones recorded as passed,
/// read with the live counters by <see cref="Project"/>. Times are ms on the migration's clock.
/// </summary>
internal sealed class QueryMigrateView(MigrationId id, VirtualMachine vm, DateTimeOffset startedAt, int window)
{
    private readonly Dictionary<DeviceName, DeviceDigest> _sourceDigests = [];
    private readonly Dictionary<DeviceName, DeviceDigest> _destinationDigests = [];
    private long? _endedAt;

    public MigrationStatus Status { get; set; } = MigrationStatus.Setup;

    public long SetupTime { get; set; }

    /// <summary>QEMU's estimate: downtime-limit until the first tick measures one.</summary>
    public long ExpectedDowntime { get; set; }

    /// <summary>Once completed: from stopping the source VM to the destination saying it runs.</summary>
    public long? Downtime { get; set; }

    public string? ErrorDesc { get; set; }

    public string DestinationVm { get; set; } = VmStates.Absent;

    /// <summary>Every device digest on the destination equals the source's.</summary>
    public bool Verified { get; set; }

    public void SourceDigests(IEnumerable<KeyValuePair<DeviceName, DeviceDigest>> digests)
    {
        foreach (var (device, digest) in digests)
            _sourceDigests[device] = digest;
    }

    /// <summary>The destination's digests, as it reported them; null for a device it did not report.</summary>
    public void DestinationDigests(IEnumerable<(DeviceName Device, DeviceDigest Digest)> digests)
    {
        foreach (var (device, digest) in digests)
            _destinationDigests[device] = digest;
    }

    /// <summary>The source's digests that the destination matched, device by device: every one, or the migration must not commit.</summary>
    public bool DigestsMatch() =>
        _sourceDigests.Count == vm.Devices.Count
        && _sourceDigests.All(s => _destinationDigests.TryGetValue(s.Key, out var theirs) && theirs == s.Value);

    /// <summary>The devices whose digests differ, for the error: <c>ram (source 1a2b, destination 3c4d)</c>.</summary>
    public string Mismatches() => string.Join(", ", vm.Devices
        .Where(d => !_sourceDigests.TryGetValue(d.Name, out var mine) || !_destinationDigests.TryGetValue(d.Name, out var theirs) || mine != theirs)
        .Select(d => $"{d.Name} (source {(_sourceDigests.TryGetValue(d.Name, out var mine) ? mine.Hex : "missing")}, " +
                     $"destination {(_destinationDigests.TryGetValue(d.Name, out var theirs) ? theirs.Hex : "missing")})"));

    public void Ended(MigrationStatus status, long at)
    {
        Status = status;
        _endedAt = at;
    }

    public MigrationInfo Project(long now, IReadOnlyDictionary<DeviceName, StreamCounters> counters, TransferRate rate, SwitchoverProtocol.AcksChanged acks)
    {
        var live = !Status.IsTerminal() && Status != MigrationStatus.Setup;
        var ramStats = vm.Ram?.Statistics;
        var ramCounters = vm.Ram is { } r && counters.TryGetValue(r.Name, out var c) ? c : null;
        var ram = new RamInfo(
            Transferred: ramCounters?.Transferred ?? 0,
            Remaining: live ? ramStats?.Remaining ?? 0 : 0,
            Total: ramStats?.Total ?? 0,
            Duplicate: ramStats?.Duplicate ?? 0,
            Normal: ramStats?.Normal ?? 0,
            NormalBytes: ramStats?.NormalBytes ?? 0,
            DirtyPagesRate: (long)(ramStats?.DirtyPagesRate ?? 0),
            Mbps: Math.Round(rate.Mbps, 3),
            DirtySyncCount: ramStats?.DirtySyncCount ?? 0,
            PageSize: ramStats?.PageSize ?? 4096,
            PagesPerSecond: rate.PagesPerSecond,
            PrecopyBytes: ramCounters?.PrecopyBytes ?? 0,
            DowntimeBytes: ramCounters?.DowntimeBytes ?? 0);
        var devices = vm.Devices.Select(d =>
        {
            var stream = counters.GetValueOrDefault(d.Name);
            var ack = acks.Of(d.Name);
            return new DeviceInfo(
                d.Name.Value,
                d.Kind.Name(),
                stream?.Transferred ?? 0,
                live ? d.PendingEstimate() : 0,
                ack.Name,
                ack.At is { } at ? (long)at.TotalMilliseconds : null,
                window,
                stream?.MaxInFlight ?? 0,
                _sourceDigests.TryGetValue(d.Name, out var mine) ? mine.Hex : null,
                _destinationDigests.TryGetValue(d.Name, out var theirs) ? theirs.Hex : null);
        }).ToArray();
        return new MigrationInfo(
            id,
            startedAt,
            Status,
            TotalTime: _endedAt ?? now,
            SetupTime: SetupTime,
            Downtime: Status == MigrationStatus.Completed ? Downtime : null,
            // QEMU drops it after the switchover; we keep the last estimate so it can be set against the measured downtime.
            ExpectedDowntime: ExpectedDowntime,
            ErrorDesc: ErrorDesc,
            CpuThrottlePercentage: vm.ThrottlePercent,
            Ram: ram,
            Devices: devices,
            SourceVm: VmStates.Of(vm.State),
            DestinationVm: DestinationVm,
            Verified: Verified,
            PendingAcks: acks.Pending,
            Transferred: devices.Sum(d => d.Transferred),
            Remaining: devices.Sum(d => d.Remaining),
            Mbps: Math.Round(rate.Mbps, 3));
    }
}
