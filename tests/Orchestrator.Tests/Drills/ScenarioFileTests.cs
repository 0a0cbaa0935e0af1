using Orchestrator.Actors.Migration;
using Orchestrator.Drills.Files;
using Orchestrator.Drills.Scenarios;
using Xunit;

namespace Orchestrator.Tests.Drills;

public sealed class ScenarioFileTests
{
    private const string Valid = """
        name: sample
        hosts: [host1, host2, {name: host3, capacity: 1GiB}]
        vms:
          - name: web
            host: host1
            ram: 16MiB
            dirty-rate: 2MiB/s
            vfio: 4MiB
            vfio-never-acks: true
        steps:
          - migrate: web
            to: host2
            parameters: {switchover-ack-timeout: 1500}
          - kill: host2
            at: stop-copy
            of: web
          - partition: [host1, host3]
          - heal: [host1, host3]
          - wait: 300ms
          - wait-for-migration: web
            within: 20s
          - evacuate: host1
          - wait-for-empty: host1
        expect:
          lost: 0
          double-runs: 0
          vms: {web: host1 running}
          migrations: {web: completed|failed}
          empty: [host2]
        """;

    private static IReadOnlyList<string> Errors(string text, string name = "drill.yaml") =>
        Assert.Throws<ScenarioFileException>(() => ScenarioFile.Parse(text, name)).Errors;

    [Fact]
    public void A_valid_yaml_file_reads_into_the_same_scenario_as_the_builder_makes()
    {
        var scenario = ScenarioFile.Parse(Valid, "drill.yaml");

        Assert.Equal(["host1", "host2", "host3"], scenario.Hosts.Select(h => h.Name));
        Assert.Equal(1L << 30, scenario.Hosts[2].Capacity);
        Assert.Equal(new VmDefinition("web", "host1", 16L << 20, 2L << 20, 4L << 20, null, true), scenario.Vms.Single());
        Assert.Equal(new KillStep("host2", MigrationPhase.StopCopy, "web"), scenario.Steps[1]);
        Assert.Equal([("switchover-ack-timeout", "1500")], ((MigrateStep)scenario.Steps[0]).Parameters);
        Assert.Equal(TimeSpan.FromMilliseconds(300), ((WaitStep)scenario.Steps[4]).Duration);
        Assert.Contains(new VmOnHost("web", "host1", "running"), scenario.Expectations);
        Assert.Contains(scenario.Expectations, e => e is MigrationEnds { Outcomes: [MigrationStatus.Completed, MigrationStatus.Failed] });
    }

    [Theory]
    [InlineData("256MiB", "4MiB/s", "2min", 256L << 20, 4L << 20)]
    [InlineData("256M", "4M/s", "120s", 256L << 20, 4L << 20)]
    [InlineData("268435456", "4194304", "120000", 256L << 20, 4L << 20)]
    [InlineData("256MB", "32mbit", "2min", 256_000_000, 4_000_000)]
    public void Sizes_rates_and_durations_read_as_the_CLI_reads_them(string ram, string rate, string within, long bytes, long perSecond)
    {
        var scenario = ScenarioFile.Parse($$"""
            name: units
            hosts: [host1, host2]
            vms:
              - {name: web, host: host1, ram: {{ram}}, dirty-rate: {{rate}}}
            steps:
              - {wait-for-migration: web, within: {{within}}}
            """, "drill.yaml");

        var vm = scenario.Vms.Single();
        Assert.Equal((Orchestrator.Cli.ByteUnits.ParseSize(ram, "--ram"), Orchestrator.Cli.ByteUnits.ParseRate(rate, "--dirty-rate")), (vm.Ram, vm.DirtyRate));
        Assert.Equal((bytes, perSecond), (vm.Ram, vm.DirtyRate));
        Assert.Equal(TimeSpan.FromMinutes(2), ((WaitForMigrationStep)scenario.Steps.Single()).Within);
    }

    [Fact]
    public void Json_uses_the_same_schema()
    {
        var scenario = ScenarioFile.Parse("""
            {
              "name": "json",
              "hosts": ["host1", "host2"],
              "vms": [{"name": "web", "host": "host1", "ram": "16MiB"}],
              "steps": [{"migrate": "web", "to": "host2"}, {"wait-for-migration": "web"}],
              "expect": {"lost": 0, "vms": {"web": "host2"}}
            }
            """, "drill.json");

        Assert.Equal([new MigrateStep("web", "host2", []).ToString(), new WaitForMigrationStep("web").ToString()], scenario.Steps.Select(s => s.ToString()));
        Assert.Equal([new CountIs(Counter.Lost, 0), new VmOnHost("web", "host2")], scenario.Expectations);
    }

    private static readonly string Multifd = Valid.Replace(
        "    parameters: {switchover-ack-timeout: 1500}",
        "    capabilities: {multifd: on, switchover-ack: off}\n    parameters: {switchover-ack-timeout: 1500, multifd-channels: 4}");

    [Fact]
    public void A_migrate_steps_capabilities_change_the_defaults_for_that_migration_and_multifd_channels_go_to_the_destination_too()
    {
        var migrate = (MigrateStep)ScenarioFile.Parse(Multifd, "drill.yaml").Steps[0];

        Assert.Equal([("multifd", true), ("switchover-ack", false)], migrate.Capabilities);
        Assert.Equal(new MigrationCapabilities(ReturnPath: true, SwitchoverAck: false, Multifd: true), migrate.SourceCapabilities);
        Assert.Equal([("multifd-channels", "4")], migrate.IncomingParameters);
        Assert.Equal("migrate web to host2 with multifd=on, switchover-ack=off, switchover-ack-timeout=1500, multifd-channels=4", migrate.ToString());
    }

    [Fact]
    public void A_migrate_step_without_capabilities_leaves_the_VMs_own_set_and_the_destination_alone()
    {
        var migrate = (MigrateStep)ScenarioFile.Parse(Valid, "drill.yaml").Steps[0];

        Assert.Null(migrate.SourceCapabilities);
        Assert.Empty(migrate.IncomingParameters);
        Assert.Equal("migrate web to host2 with switchover-ack-timeout=1500", migrate.ToString());
    }

    [Fact]
    public void Json_capabilities_are_true_or_false()
    {
        var scenario = ScenarioFile.Parse("""
            {
              "name": "json",
              "hosts": ["host1", "host2"],
              "vms": [{"name": "web", "host": "host1"}],
              "steps": [{"migrate": "web", "to": "host2", "capabilities": {"multifd": true, "auto-converge": false}, "parameters": {"multifd-channels": 4}}]
            }
            """, "drill.json");

        var migrate = (MigrateStep)scenario.Steps.Single();
        Assert.Equal([("multifd", true), ("auto-converge", false)], migrate.Capabilities);
        Assert.Equal([("multifd-channels", "4")], migrate.IncomingParameters);
    }

    [Fact]
    public void An_unknown_capability_gets_QEMUs_text_with_its_line()
    {
        var errors = Errors(Multifd.Replace("{multifd: on,", "{multi-fd: on,"));

        Assert.Equal(["drill.yaml:13: steps[0].capabilities.multi-fd: Parameter 'capability' does not accept value 'multi-fd' (known: return-path, switchover-ack, pause-before-switchover, auto-converge, multifd)"], errors);
    }

    [Fact]
    public void A_capability_that_is_neither_on_nor_off_is_refused_with_its_line()
    {
        var errors = Errors(Multifd.Replace("{multifd: on,", "{multifd: 4,").Replace("switchover-ack: off}", "switchover-ack: [on]}"));

        Assert.Equal([
            "drill.yaml:13: steps[0].capabilities.multifd: expected on or off, not '4'",
            "drill.yaml:13: steps[0].capabilities.switchover-ack: expected on or off, not a list",
        ], errors);
    }

    [Fact]
    public void A_capability_set_QEMU_refuses_is_refused_as_migrate_caps_check_says()
    {
        var errors = Errors(Multifd.Replace("switchover-ack: off}", "return-path: off}"));

        Assert.Equal(["drill.yaml:13: steps[0].capabilities: Capability 'switchover-ack' requires capability 'return-path'"], errors);
    }

    [Fact]
    public void The_fluent_builder_takes_capabilities_and_refuses_what_the_files_refuse()
    {
        var built = Scenario.Named("multifd").Hosts(2).Vm("web", on: "host1").Migrate("web", to: "host2", capabilities: [("multifd", true)], ("multifd-channels", "4")).Build();
        var e = Assert.Throws<ScenarioException>(() => Scenario.Named("bad").Hosts(2).Vm("web", on: "host1").Migrate("web", to: "host2", capabilities: [("multifd", true), ("colour", true)]).Build());

        Assert.Equal("migrate web to host2 with multifd=on, multifd-channels=4", built.Steps.Single().ToString());
        Assert.Equal(["steps[0].capabilities.colour: Parameter 'capability' does not accept value 'colour' (known: return-path, switchover-ack, pause-before-switchover, auto-converge, multifd)"], e.Errors);
    }

    [Fact]
    public void A_host_that_is_not_in_the_scenario_is_named_with_its_line_and_field()
    {
        var errors = Errors(Valid.Replace("    to: host2", "    to: host9"));

        Assert.Equal(["drill.yaml:12: steps[0].to: host 'host9' is not one of the scenario's hosts (host1, host2, host3)"], errors);
    }

    [Fact]
    public void Unknown_fields_are_errors_with_the_fields_that_are_known()
    {
        var errors = Errors(Valid.Replace("    of: web", "    of: web\n    colour: blue"));

        Assert.Equal(["drill.yaml:17: steps[1].colour: unknown field in a 'kill' step (known: kill, at, of, within)"], errors);
    }

    [Fact]
    public void A_phase_that_does_not_exist_lists_the_phases()
    {
        var errors = Errors(Valid.Replace("at: stop-copy", "at: stopcopy"));

        Assert.Equal(["drill.yaml:15: steps[1].at: 'stopcopy' is not a phase: use one of setup, precopy, waiting-for-acks, stop-copy, after-commit"], errors);
    }

    [Fact]
    public void A_RAM_size_that_is_not_whole_pages_is_refused_saying_what_to_use()
    {
        var errors = Errors(Valid.Replace("ram: 16MiB", "ram: 1000000B"));

        Assert.Equal(["drill.yaml:6: vms[0].ram: ram must be a multiple of 4 KiB (4096 bytes), a whole number of pages: 1000000 bytes is not; use 1003520 or 999424 bytes, or whole MiB such as 256MiB"], errors);
    }

    [Fact]
    public void Numbers_past_what_a_size_or_a_duration_holds_are_errors_not_crashes()
    {
        var errors = Errors(Valid.Replace("ram: 16MiB", "ram: 99999999999999999999999999999999TiB").Replace("wait: 300ms", "wait: 99999999999999999999s"));

        Assert.Equal([
            "drill.yaml:6: vms[0].ram: expected a size like 32MiB, not '99999999999999999999999999999999TiB'",
            "drill.yaml:19: steps[4].wait: expected a duration like 2s, not '99999999999999999999s'",
        ], errors);
    }

    [Fact]
    public void Every_error_is_reported_at_once()
    {
        var errors = Errors(Valid.Replace("ram: 16MiB", "ram: lots").Replace("wait: 300ms", "wait: soon").Replace("  lost: 0", "  lost: none"));

        Assert.Equal([
            "drill.yaml:6: vms[0].ram: expected a size like 32MiB, not 'lots'",
            "drill.yaml:19: steps[4].wait: expected a duration like 2s, not 'soon'",
            "drill.yaml:25: expect.lost: expected a whole number like 0, not 'none'",
        ], errors);
    }

    [Fact]
    public void A_step_that_does_two_things_or_nothing_is_refused()
    {
        var errors = Errors(Valid.Replace("  - wait: 300ms", "  - wait: 300ms\n    evacuate: host1\n  - to: host1"));

        Assert.Equal([
            "drill.yaml:19: steps[4]: one step does one thing; this one says wait and evacuate (make them separate steps)",
            "drill.yaml:21: steps[5]: say what the step does with one of: migrate, evacuate, corrupt, kill, partition, heal, slow-link, clear-link, wait, wait-for-migration, wait-for-empty",
        ], errors);
    }

    [Fact]
    public void Malformed_yaml_names_the_line() =>
        Assert.StartsWith("drill.yaml:3: not valid YAML", Assert.Single(Errors("name: x\nhosts: [host1\nsteps: [")));

    [Fact]
    public void Malformed_json_names_the_line() =>
        Assert.StartsWith("drill.json:3: not valid JSON", Assert.Single(Errors("{\n \"name\": \"x\",\n \"hosts\": [\"host1\" \"host2\"]\n}", "drill.json")));

    [Fact]
    public void Missing_required_fields_are_named()
    {
        var errors = Errors("name: x\nvms: []\n");

        Assert.Equal(["drill.yaml:1: hosts: required field is missing", "drill.yaml:1: steps: required field is missing"], errors);
    }

    [Fact]
    public void The_fluent_builder_refuses_what_the_files_refuse()
    {
        var e = Assert.Throws<ScenarioException>(() => Scenario.Named("bad").Hosts(2).Vm("web", on: "host1").Migrate("web", to: "host9").Kill("host2").Build());

        Assert.Equal(["steps[0].to: host 'host9' is not one of the scenario's hosts (host1, host2)"], e.Errors);
    }
}
