namespace Orchestrator.Demo;

/// <summary>When to send migrate-continue (pause-before-switchover): after a delay, or with <paramref name="After"/> null on Enter or stdin's end.</summary>
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
