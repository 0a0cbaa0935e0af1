using Akka.Actor;
using Orchestrator.Actors.Host;
using Orchestrator.Actors.Migration;
using Xunit;
using Xunit.Abstractions;

namespace Orchestrator.Tests.Migration;

/// <summary>migrate-set-capabilities, migrate-set-parameters, migrate-continue: QEMU's texts, and nothing changed on error.</summary>
public sealed class ControlTests(ITestOutputHelper output) : TwoNodeTestKit(output)
{
    private async Task<HostProtocol.MigrationSettingsOf> SettingsOf() =>
        await Source.Host.Ask<HostProtocol.MigrationSettingsOf>(new HostProtocol.GetMigrationSettings(Vm), AskTimeout);

    [Fact]
    public async Task Switchover_ack_without_return_path_is_refused_with_QEMUs_text_and_changes_nothing()
    {
        await Create(SmallVm());
        var before = await SettingsOf();

        var result = await Ask(Source.Host, new HostProtocol.SetCapabilities(Vm, [("return-path", false)]));

        Assert.Equal("Capability 'switchover-ack' requires capability 'return-path'", result.Error);
        Assert.Equal(before, await SettingsOf());
    }

    [Theory]
    [InlineData("downtime-limit", "2000001", "Parameter 'downtime-limit' expects an integer in the range of 0 to 2000000 ms")]
    [InlineData("downtime_limit", "-1", "Parameter 'downtime_limit' expects an integer in the range of 0 to 2000000 ms")]
    [InlineData("max-bandwidth", "-5", "Parameter 'max-bandwidth' expects an integer in the range of 0 to 9223372036854775807 bytes/second, or a rate such as 10MiB/s or 100mbit")]
    [InlineData("avail-switchover-bandwidth", "x", "Parameter 'avail-switchover-bandwidth' expects an integer in the range of 0 to 9223372036854775807 bytes/second")]
    [InlineData("throttle-trigger-threshold", "0", "Parameter 'throttle-trigger-threshold' expects an integer in the range of 1 to 100")]
    [InlineData("cpu-throttle-initial", "100", "Parameter 'cpu-throttle-initial' expects an integer in the range of 1 to 99")]
    [InlineData("cpu-throttle-increment", "0", "Parameter 'cpu-throttle-increment' expects an integer in the range of 1 to 99")]
    [InlineData("max-cpu-throttle", "100", "Parameter 'max-cpu-throttle' expects an integer in the range of 1 to 99")]
    [InlineData("switchover-ack-timeout", "86400001", "Parameter 'switchover-ack-timeout' expects an integer in the range of 0 to 86400000 ms")]
    [InlineData("no-such-thing", "1", "Parameter 'no-such-thing' is unexpected")]
    public async Task Out_of_range_parameters_get_QEMUs_text_and_change_nothing(string name, string value, string error)
    {
        await Create(SmallVm());
        var before = await SettingsOf();

        // A valid change in the same call must not be applied either.
        var result = Assert.IsType<CommandResult>(await Source.Host.Ask<object>(new HostProtocol.SetParameters(Vm, [("downtime-limit", "555"), (name, value)]), AskTimeout));

        Assert.NotNull(result.Error);
        Assert.StartsWith(error, result.Error);
        Assert.Equal(before, await SettingsOf());
    }

    [Fact]
    public async Task Capabilities_cannot_change_while_a_migration_runs()
    {
        await Create(SmallVm(ram: 64L << 20));
        await SetParameters(("max-bandwidth", (8L << 20).ToString()));
        var before = await SettingsOf();
        await Migrate();
        await UntilStatus(MigrationStatus.Active);

        var result = await Ask(Source.Host, new HostProtocol.SetCapabilities(Vm, [("auto-converge", true)]));

        Assert.Equal("There's a migration process in progress", result.Error);
        Assert.Equal(before.Capabilities, (await SettingsOf()).Capabilities);
        var second = await Source.Host.Ask<object>(new HostProtocol.Migrate(Vm, Destination.Address), AskTimeout);
        Assert.Equal("There's a migration process in progress", Assert.IsType<CommandResult>(second).Error);
    }

    [Fact]
    public async Task Pause_before_switchover_holds_in_pre_switchover_until_continue()
    {
        await Create(SmallVm());
        await SetCapabilities("return-path,switchover-ack,pause-before-switchover");
        await Migrate();
        var early = await Ask(Source.Host, new HostProtocol.MigrateContinue(Vm));

        var held = await UntilStatus(MigrationStatus.PreSwitchover);
        await Task.Delay(700);
        var stillHeld = await Query();

        Assert.StartsWith("Migration not in expected state: ", early.Error);
        Assert.Equal(VmStates.Paused, held.SourceVm);
        Assert.Equal(MigrationStatus.PreSwitchover, stillHeld.Status);
        Assert.Equal(VmStates.Paused, stillHeld.DestinationVm);
        Assert.Null((await Ask(Source.Host, new HostProtocol.MigrateContinue(Vm))).Error);
        var info = await UntilEnded();
        Assert.Equal(MigrationStatus.Completed, info.Status);
        Assert.True(info.Verified);
    }

    [Fact]
    public async Task Max_bandwidth_changes_a_running_migration()
    {
        await Create(SmallVm(ram: 64L << 20, vfio: 0, vgpu: 0, dirtyRate: 0));
        await SetParameters(("max-bandwidth", (4L << 20).ToString()));
        await Migrate();
        // The first second by the migration's own clock.
        var slow = await Until(info => info.TotalTime >= 1000, TimeSpan.FromSeconds(30), "a second of precopy");

        await SetParameters(("max-bandwidth", "0"));
        var info = await UntilEnded();

        // At 4 MiB/s the 64 MiB (half of it zero pages) would need about 8 s; unlimited it ends well before.
        Assert.True(slow.Transferred < 12L << 20, $"{slow.Transferred} bytes in the first second at 4 MiB/s");
        Assert.Equal(MigrationStatus.Completed, info.Status);
        Assert.True(info.TotalTime < 8000, $"took {info.TotalTime} ms: the raised limit did not apply");
    }

    [Fact]
    public async Task Query_migrate_before_any_migration_is_empty_and_unknown_VMs_are_named()
    {
        await Create(SmallVm());

        var none = await Source.Host.Ask<object>(new HostProtocol.QueryMigrate(Vm), AskTimeout);
        var unknown = await Source.Host.Ask<object>(new HostProtocol.QueryMigrate("nope"), AskTimeout);
        var self = await Source.Host.Ask<object>(new HostProtocol.Migrate(Vm, Source.Address), AskTimeout);

        Assert.IsType<HostProtocol.NoMigration>(none);
        Assert.Equal("VM 'nope' not found on host source", Assert.IsType<CommandResult>(unknown).Error);
        Assert.Contains("pick another destination host", Assert.IsType<CommandResult>(self).Error);
    }
}
