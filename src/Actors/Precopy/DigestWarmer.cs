namespace Orchestrator.Actors.Precopy;

/// <summary>
/// Hashes pages written since the last digest on the thread pool, one pass at a time: the asking actor stays responsive (a first
/// pass over a large VM takes seconds on a busy host), and the digest inside the downtime finds little left.
/// </summary>
internal sealed class DigestWarmer(VirtualMachine vm)
{
    private Task _pass = Task.CompletedTask;

    public void Warm()
    {
        if (_pass.IsCompleted)
            _pass = Task.Run(() => vm.Digests());
    }
}
