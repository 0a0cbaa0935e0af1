namespace Orchestrator.Drills.Scenarios;

/// <summary>Every rule a scenario follows, for builder and files; paths use the file's field names, which the file reader turns into line numbers.</summary>
public static class ScenarioCheck
{
    public static readonly TimeSpan LongestWait = TimeSpan.FromMinutes(10);
    public static readonly IReadOnlyList<string> VmStates = ["running", "paused"];

    public static IReadOnlyList<ScenarioError> Errors(Scenario scenario)
    {
        var errors = new List<ScenarioError>();
        void Error(string path, string message) => errors.Add(new ScenarioError(path, message));

        if (string.IsNullOrWhiteSpace(scenario.Name))
            Error("name", "give the drill a name");
        var hosts = scenario.Hosts.Select(h => h.Name).ToArray();
        var hostList = string.Join(", ", hosts);
        if (hosts.Length == 0)
            Error("hosts", "list at least one host");
        var seenHosts = new HashSet<string>();
        for (var i = 0; i < scenario.Hosts.Count; i++)
        {
            var host = scenario.Hosts[i];
            if (!Actors.Host.NameRule.IsValid(host.Name))
                Error($"hosts[{i}].name", $"'{host.Name}' is not a valid host name: use 1 to 63 letters, digits, '.', '_' or '-'");
            else if (!seenHosts.Add(host.Name))
                Error($"hosts[{i}].name", $"host '{host.Name}' is listed twice");
            if (host.Capacity <= 0)
                Error($"hosts[{i}].capacity", "capacity must be a positive size, e.g. 4GiB");
        }

        void Host(string path, string name)
        {
            if (!hosts.Contains(name))
                Error(path, $"host '{name}' is not one of the scenario's hosts ({hostList})");
        }

        var vms = scenario.Vms.Select(v => v.Name).ToArray();
        void Vm(string path, string name)
        {
            if (!vms.Contains(name))
                Error(path, $"VM '{name}' is not one of the scenario's VMs ({string.Join(", ", vms.DefaultIfEmpty("none"))})");
        }

        var seenVms = new HashSet<string>();
        for (var i = 0; i < scenario.Vms.Count; i++)
        {
            var vm = scenario.Vms[i];
            if (!Actors.Host.NameRule.IsValid(vm.Name))
                Error($"vms[{i}].name", $"'{vm.Name}' is not a valid VM name: use 1 to 63 letters, digits, '.', '_' or '-'");
            else if (!seenVms.Add(vm.Name))
                Error($"vms[{i}].name", $"VM '{vm.Name}' is listed twice");
            Host($"vms[{i}].host", vm.Host);
            if (Devices.Ram.RamSize.Problem(vm.Ram, "ram") is { } badRam)
                Error($"vms[{i}].ram", badRam);
            if (vm.DirtyRate < 0)
                Error($"vms[{i}].dirty-rate", "the dirty rate cannot be negative");
            if (vm.Vfio < 0)
                Error($"vms[{i}].vfio", "the VF size cannot be negative (0 leaves it out)");
            if (vm.Vgpu < 0)
                Error($"vms[{i}].vgpu", "the vGPU size cannot be negative (0 leaves it out)");
            if (vm.VfioAllocation is { } alloc && alloc < TimeSpan.Zero)
                Error($"vms[{i}].vfio-alloc", "the allocation time cannot be negative");
        }
        foreach (var group in scenario.Vms.Where(v => hosts.Contains(v.Host)).GroupBy(v => v.Host))
        {
            var capacity = scenario.Hosts.First(h => h.Name == group.Key).Capacity;
            if (group.Sum(v => v.Size) > capacity)
                Error($"vms[{scenario.Vms.ToList().IndexOf(group.Last())}].host", $"the VMs on {group.Key} need {group.Sum(v => v.Size)} bytes, more than its capacity of {capacity}");
        }

        for (var i = 0; i < scenario.Steps.Count; i++)
            CheckStep($"steps[{i}]", scenario.Steps[i], Host, Vm, Error);

        var empties = 0;
        foreach (var expectation in scenario.Expectations)
        {
            switch (expectation)
            {
                case CountIs count when count.Value < 0:
                    Error($"expect.{CountIs.Name(count.Counter)}", "a count cannot be negative");
                    break;
                case VmOnHost on:
                    Vm($"expect.vms.{on.Vm}", on.Vm);
                    Host($"expect.vms.{on.Vm}", on.Host);
                    if (on.State is { } state && !VmStates.Contains(state))
                        Error($"expect.vms.{on.Vm}", $"state '{state}' is not one of {string.Join(", ", VmStates)}");
                    break;
                case MigrationEnds ends:
                    Vm($"expect.migrations.{ends.Vm}", ends.Vm);
                    if (ends.Outcomes.Count == 0 || ends.Outcomes.Any(o => !o.IsTerminal()))
                        Error($"expect.migrations.{ends.Vm}", "give one or more of completed, failed, cancelled (e.g. completed|failed)");
                    break;
                case HostEmpty empty:
                    Host($"expect.empty[{empties++}]", empty.Host);
                    break;
            }
        }
        return errors;
    }

    private static void CheckStep(string at, Step step, Action<string, string> host, Action<string, string> vm, Action<string, string> error)
    {
        void Within(TimeSpan? within)
        {
            if (within is { } w && (w <= TimeSpan.Zero || w > LongestWait))
                error($"{at}.within", $"use a duration from 1ms to {LongestWait.TotalMinutes:0} min");
        }

        switch (step)
        {
            case MigrateStep migrate:
                vm($"{at}.migrate", migrate.Vm);
                host($"{at}.to", migrate.To);
                var parameters = new MigrationParameters();
                foreach (var (name, value) in migrate.Parameters)
                {
                    try
                    {
                        parameters = parameters.With(name, value);
                    }
                    catch (MigrationArgumentException e)
                    {
                        error($"{at}.parameters.{name}", e.Message);
                    }
                }
                var capabilities = new MigrationCapabilities();
                foreach (var (name, on) in migrate.Capabilities ?? [])
                {
                    try
                    {
                        capabilities = capabilities.With(name, on);
                    }
                    catch (MigrationArgumentException e)
                    {
                        error($"{at}.capabilities.{name}", e.Message);
                    }
                }
                if (capabilities.Check() is { } badSet)
                    error($"{at}.capabilities", badSet);
                break;
            case EvacuateStep evacuate:
                host($"{at}.evacuate", evacuate.Host);
                break;
            case CorruptStep corrupt:
                vm($"{at}.corrupt", corrupt.Vm);
                break;
            case KillStep kill:
                host($"{at}.kill", kill.Host);
                if (kill.At is not null && kill.Of is null)
                    error($"{at}.of", "a kill at a phase needs the VM whose migration reaches it (of: VM)");
                else if (kill.At is null && kill.Of is not null)
                    error($"{at}.at", $"'of' needs the phase to kill at (at: {string.Join(", ", MigrationPhaseNames.ByName.Keys)})");
                if (kill.Of is not null)
                    vm($"{at}.of", kill.Of);
                Within(kill.Within);
                break;
            case LinkStep link:
                host($"{at}.{link.Verb}", link.A);
                host($"{at}.{link.Verb}", link.B);
                if (link.A == link.B)
                    error($"{at}.{link.Verb}", "name two different hosts");
                if (link is not SlowLinkStep slow)
                    break;
                if (slow.Delay is null && slow.Rate is null && slow.Loss is null)
                    error($"{at}.slow-link", "give at least one of delay, rate, loss");
                if (slow.Loss is { } loss && loss is < 0 or > 1)
                    error($"{at}.loss", "loss is a ratio from 0 to 1 (or a percentage like 5%)");
                if (slow.Rate is { } rate && rate <= 0)
                    error($"{at}.rate", "the rate must be positive bytes per second, e.g. 10MiB/s");
                break;
            case WaitStep wait when wait.Duration <= TimeSpan.Zero || wait.Duration > LongestWait:
                error($"{at}.wait", $"use a duration from 1ms to {LongestWait.TotalMinutes:0} min");
                break;
            case WaitForMigrationStep waitFor:
                vm($"{at}.wait-for-migration", waitFor.Vm);
                Within(waitFor.Within);
                break;
            case WaitForEmptyStep waitEmpty:
                host($"{at}.wait-for-empty", waitEmpty.Host);
                Within(waitEmpty.Within);
                break;
        }
    }
}
