namespace Orchestrator.Demo;

/// <summary>
/// When the demo sends migrate-continue to a migration that pause-before-switchover holds in pre-switchover:
/// after a delay, or (<paramref name="After"/> null) when Enter is pressed or stdin ends.
/// </summary>
/// <param name="Notice">Tells the person watching what the demo waits for.</param>
public sealed record Continuation(TimeSpan? After, TextReader Input, Action<string> Notice)
{
    /// <summary>Waits as the policy says, then continues; the returned task ends once <paramref name="resume"/> ran.</summary>
    public async Task Send(Action resume)
    {
        if (After is { } delay)
        {
            Notice($"paused before switchover (pause-before-switchover): migrate-continue in {delay.TotalMilliseconds:0} ms");
            await Task.Delay(delay);
        }
        else
        {
            Notice("paused before switchover (pause-before-switchover): press Enter to continue (migrate-continue)");
            // ReadLine cannot be cancelled; on its own thread it blocks nothing else, and the process exit ends it.
            await Task.Factory.StartNew(Input.ReadLine, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        }
        Notice("migrate-continue sent");
        resume();
    }
}
