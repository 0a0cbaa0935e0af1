using Akka.Actor;
using Orchestrator.Actors.Host;
using Orchestrator.Actors.Migration;
using Xunit;
using Xunit.Abstractions;

namespace Orchestrator.Tests.Migration;

/// <summary>
/// What a migrate carries (capabilities, parameters) is for that migration only (docs/api.md); the VM's
/// standing settings, set with migrate-set-capabilities and migrate-set-parameters, are what the next one
/// starts from.
/// </summary>
public sealed class MigrationScopeTests(ITestOutputHelper output) : TwoNodeTestKit(output)
{
    private async Task<HostProtocol.MigrationSettingsOf> SettingsOf() =>
        await Source.Host.Ask<HostProtocol.MigrationSettingsOf>(new HostProtocol.GetMigrationSettings(Vm), AskTimeout);

    private async Task<MigrationId> MigrateWith(MigrationCapabilities? capabilities = null, params (string, string)[] parameters)
    {
        var reply = await Source.Host.Ask<object>(new HostProtocol.Migrate(Vm, Destination.Address, capabilities, parameters), AskTimeout);
        return Assert.IsType<HostProtocol.MigrationStarted>(reply).Migration;
    }

    [Fact]
    public async Task Capabilities_given_to_one_migration_do_not_carry_over_to_the_next()
    {
        await Create(SmallVm(vfio: 0, vgpu: 0));
        var standing = await SettingsOf();
        await MigrateWith(MigrationCapabilities.ParseList("return-path,switchover-ack,pause-before-switchover"));
        await UntilStatus(MigrationStatus.PreSwitchover);
        await Ask(Source.Host, new HostProtocol.MigrateCancel(Vm));
        Assert.Equal(MigrationStatus.Cancelled, (await UntilEnded()).Status);
        Assert.Equal(standing, await SettingsOf());

        await Migrate();
        var next = await UntilEnded(TimeSpan.FromSeconds(30), info =>
            Assert.NotEqual(MigrationStatus.PreSwitchover, info.Status));

        Assert.Equal(MigrationStatus.Completed, next.Status);
    }

    [Fact]
    public async Task Parameters_given_to_one_migration_stay_with_it_when_others_change_while_it_runs()
    {
        await Create(SmallVm(vfio: 0, vgpu: 0));
        // downtime-limit 0 never converges while something is pending, and a guest writing 4 MiB/s over 2 MiB/s always leaves
        // something: the migration keeps its parameters through a set-parameters of something else.
        await MigrateWith(null, ("downtime-limit", "0"), ("max-bandwidth", (2L << 20).ToString()));
        await UntilStatus(MigrationStatus.Active);
        await SetParameters(("cpu-throttle-initial", "30"));

        Assert.Equal(MigrationStatus.Active, (await UntilSyncs(5)).Status);
        var settings = await SettingsOf();
        Assert.Equal((300L, 30), (settings.Parameters.DowntimeLimit, settings.Parameters.CpuThrottleInitial));
        await Ask(Source.Host, new HostProtocol.MigrateCancel(Vm));
        Assert.Equal(MigrationStatus.Cancelled, (await UntilEnded()).Status);
        Assert.Equal(300L, (await SettingsOf()).Parameters.DowntimeLimit);
    }
}
