namespace Orchestrator.Actors.Wiring;

/// <summary>INTERNAL API: for this project's executable and drills; it may change without notice. Host names travel as cluster roles, so every member knows every host's name.</summary>
[InternalApi]
public static class HostRole
{
    private const string Prefix = "host_"; // no ":" : Akka.Cluster.Hosting writes roles into HOCON unquoted

    public static string Of(string name) => Prefix + name;

    public static string? NameIn(IEnumerable<string> roles) =>
        roles.FirstOrDefault(r => r.StartsWith(Prefix, StringComparison.Ordinal))?[Prefix.Length..];
}
