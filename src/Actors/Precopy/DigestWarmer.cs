using Orchestrator.Devices.Machine;

namespace Orchestrator.Actors.Precopy;

/// <summary>
/// Hashes the pages written since the last digest on the thread pool, one pass at a time. The
/// actor that asks stays responsive (a first pass over a large VM takes seconds on a busy host),
/// and the digest taken inside the downtime finds little left to hash.
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
