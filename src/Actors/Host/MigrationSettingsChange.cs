namespace Orchestrator.Actors.Host;

/// <summary>Changes applied to a copy and checked as a whole: an invalid set changes nothing (QEMU's rule).</summary>
internal static class MigrationSettingsChange
{
    /// <summary>QEMU's migrate_caps_check over the changed set.</summary>
    public static CommandResult? Apply(MigrationCapabilities current, IEnumerable<(string Name, bool State)> changes, out MigrationCapabilities result)
    {
        result = current;
        try
        {
            var caps = changes.Aggregate(current, (c, change) => c.With(change.Name, change.State));
            if (caps.Check() is { } error)
                return CommandResult.Fail(error);
            result = caps;
            return null;
        }
        catch (MigrationArgumentException e)
        {
            return CommandResult.Fail(e.Message);
        }
    }

    public static CommandResult? Apply(MigrationParameters current, IEnumerable<(string Name, string Value)> changes, out MigrationParameters result)
    {
        result = current;
        try
        {
            result = changes.Aggregate(current, (p, change) => p.With(change.Name, change.Value));
            return null;
        }
        catch (MigrationArgumentException e)
        {
            return CommandResult.Fail(e.Message);
        }
    }
}
