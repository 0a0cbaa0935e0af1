using Xunit;

namespace Orchestrator.Tests;

/// <summary>
/// The one way these tests wait for a fact they cannot subscribe to (a cluster seen over HTTP): ask again
/// every <c>every</c> until the answer is there, within a bound, then fail saying what was last seen. As
/// TestKit's AwaitAssert, for tests that have no actor to probe; TestKit tests use AwaitAssertAsync itself.
/// </summary>
internal static class Eventually
{
    private static readonly TimeSpan DefaultEvery = TimeSpan.FromMilliseconds(200);

    /// <summary>The first non-null answer of <paramref name="probe"/>; fails with <paramref name="lastSeen"/> once <paramref name="within"/> has passed.</summary>
    public static async Task<T> Until<T>(Func<Task<T?>> probe, TimeSpan within, Func<string> lastSeen, TimeSpan? every = null)
        where T : class
    {
        var deadline = DateTime.UtcNow + within;
        while (true)
        {
            if (await probe() is { } found)
                return found;
            Assert.True(DateTime.UtcNow < deadline, $"not within {within.TotalSeconds:0} s: {lastSeen()}");
            await Task.Delay(every ?? DefaultEvery);
        }
    }

    /// <summary>Until <paramref name="condition"/> holds.</summary>
    public static Task Until(Func<Task<bool>> condition, TimeSpan within, string what, TimeSpan? every = null) =>
        Until(async () => await condition() ? what : null, within, () => what, every);
}
