namespace Orchestrator.Output;

/// <summary>One line of live progress, and the closing summary a person reads.</summary>
public static class ProgressView
{
    public static string Line(MigrationInfo info)
    {
        var owed = info.Devices.Where(d => d.SwitchoverAck == "pending").Select(d => d.Name).ToArray();
        var acks = info.PendingAcks < 0
            ? "acks: not counted yet"
            : owed.Length == 0 ? "acks: none owed" : $"acks owed by: {string.Join(", ", owed)}";
        var expected = info.Status is MigrationStatus.Active && info.ExpectedDowntime is { } e ? $"expected downtime {e} ms" : "";
        return $"[{info.TotalTime / 1000.0,6:0.0}s] {info.Status.Name(),-14} iter {info.Ram.DirtySyncCount,3}  " +
               $"sent {ByteUnits.Format(info.Transferred),10}  remaining {ByteUnits.Format(info.Remaining),10}  " +
               $"{info.Mbps,8:0.0} Mbit/s  {expected}  {acks}";
    }

    public static IEnumerable<string> Summary(MigrationInfo info)
    {
        yield return "";
        yield return $"Migration {info.Id}: {info.Status.Name()}";
        if (info.ErrorDesc is { } error)
            yield return $"  error-desc:     {error}";
        yield return $"  total-time:     {info.TotalTime} ms (setup {info.SetupTime} ms)";
        if (info.Downtime is { } downtime)
            yield return $"  downtime:       {downtime} ms   (source VM stopped until the destination said it runs)";
        yield return $"  transferred:    {ByteUnits.Format(info.Transferred)} in {info.Ram.DirtySyncCount} dirty syncs; " +
                     $"RAM {info.Ram.Normal} normal pages, {info.Ram.Duplicate} zero pages sent as markers, " +
                     $"{ByteUnits.Format(info.Ram.DowntimeBytes)} while stopped";
        yield return "  devices:";
        foreach (var d in info.Devices)
        {
            var acked = d.AckedAt is { } at ? $" at {at} ms" : "";
            yield return $"    {d.Name,-14} {d.Kind,-5} {ByteUnits.Format(d.Transferred),10}  switchover-ack {d.SwitchoverAck}{acked}  (max {d.MaxInFlight}/{d.Window} chunks in flight)";
        }
        yield return $"  source VM:      {info.SourceVm}";
        yield return $"  destination VM: {info.DestinationVm}";
        yield return $"  verified:       {(info.Verified ? "yes, every device digest on the destination equals the source's" : "no")}";
    }
}
