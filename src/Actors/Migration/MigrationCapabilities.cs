namespace Orchestrator.Actors.Migration;

/// <summary>QEMU's migration capabilities this engine implements; each side has its own set (switchover-ack and multifd are not negotiated, as in QEMU).</summary>
/// <param name="Multifd">Device state travels on <c>multifd-channels</c> direct TCP channels instead of the Akka.Remote association.</param>
public sealed record MigrationCapabilities(
    bool ReturnPath = true,
    bool SwitchoverAck = true,
    bool PauseBeforeSwitchover = false,
    bool AutoConverge = false,
    bool Multifd = false)
{
    public static readonly IReadOnlyList<string> Names =
        ["return-path", "switchover-ack", "pause-before-switchover", "auto-converge", "multifd"];

    /// <summary>Every capability off, the starting point of a comma list.</summary>
    public static readonly MigrationCapabilities None = new(false, false, false, false, false);

    /// <summary>QEMU's <c>migrate_caps_check</c>: null when valid, else its error text.</summary>
    public string? Check() =>
        SwitchoverAck && !ReturnPath ? "Capability 'switchover-ack' requires capability 'return-path'" : null;

    /// <summary>One capability turned on or off; unknown names get QEMU's enum error.</summary>
    public MigrationCapabilities With(string name, bool state) => name switch
    {
        "return-path" => this with { ReturnPath = state },
        "switchover-ack" => this with { SwitchoverAck = state },
        "pause-before-switchover" => this with { PauseBeforeSwitchover = state },
        "auto-converge" => this with { AutoConverge = state },
        "multifd" => this with { Multifd = state },
        _ => throw new MigrationArgumentException(
            $"Parameter 'capability' does not accept value '{name}' (known: {string.Join(", ", Names)})"),
    };

    /// <summary>A comma list of the capabilities that are on, e.g. <c>return-path,switchover-ack</c>; empty or <c>none</c> turns all off.</summary>
    public static MigrationCapabilities ParseList(string list)
    {
        var caps = None;
        foreach (var item in list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (item != "none")
                caps = caps.With(item, true);
        }
        return caps;
    }

    public IEnumerable<(string Name, bool State)> States()
    {
        yield return ("return-path", ReturnPath);
        yield return ("switchover-ack", SwitchoverAck);
        yield return ("pause-before-switchover", PauseBeforeSwitchover);
        yield return ("auto-converge", AutoConverge);
        yield return ("multifd", Multifd);
    }

    public override string ToString() =>
        string.Join(",", States().Where(s => s.State).Select(s => s.Name).DefaultIfEmpty("none"));
}
