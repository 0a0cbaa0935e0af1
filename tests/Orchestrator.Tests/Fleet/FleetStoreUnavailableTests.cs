using Akka.Actor;
using Akka.TestKit.Xunit2;
using Orchestrator.Actors.Fleet;
using Orchestrator.Actors.Migration;
using Orchestrator.Actors.Wiring;
using Xunit;
using Xunit.Abstractions;

namespace Orchestrator.Tests.Fleet;

/// <summary>A fleet whose journal cannot be read says so to every command, instead of leaving it to time out.</summary>
public sealed class FleetStoreUnavailableTests(ITestOutputHelper output) : TestKit(
    TestSystem.Start("unavailable", new FleetStoreOptions(FleetStoreProvider.Sqlite, "Data Source=/nonexistent/orchestrator/fleet.db"), cluster: true), output)
{
    [Fact]
    public void Commands_are_answered_that_the_fleet_store_is_unavailable_while_the_coordinator_backs_off()
    {
        Akka.Cluster.Cluster.Get(Sys).Join(Akka.Cluster.Cluster.Get(Sys).SelfAddress);
        var fleet = Sys.ActorOf(FleetCoordinator.Supervised(FleetProtocol.Settings.Default));

        AwaitAssert(() =>
        {
            fleet.Tell(new FleetProtocol.RequestMigration("vm1", "host2", null, null));
            var answer = ExpectMsg<object>(TimeSpan.FromSeconds(5));
            var conflict = Assert.IsType<CommandResult>(answer);
            Assert.Equal(ErrorKind.Conflict, conflict.Kind);
            Assert.StartsWith("The fleet store is unavailable", conflict.Error);
        }, TimeSpan.FromSeconds(40), TimeSpan.FromMilliseconds(500));
    }
}
