using Akka.Actor;
using Akka.Remote;
using Akka.Remote.Transport;

namespace Orchestrator.Drills.InProcess;

/// <summary>
/// Links between in-process nodes, through Akka's throttler transport adapter (<c>trttl</c>): a
/// blackhole drops every message both ways, unthrottled heals.
/// </summary>
internal static class LinkControl
{
    public static Task<bool> Blackhole(ActorSystem from, Address to) =>
        Command(from, new SetThrottle(to, ThrottleTransportAdapter.Direction.Both, Akka.Remote.Transport.Blackhole.Instance));

    public static Task<bool> Unthrottle(ActorSystem from, Address to) =>
        Command(from, new SetThrottle(to, ThrottleTransportAdapter.Direction.Both, Unthrottled.Instance));

    private static Task<bool> Command(ActorSystem from, object command)
    {
        var provider = (RemoteActorRefProvider)((ExtendedActorSystem)from).Provider;
        return provider.Transport.ManagementCommand(command);
    }
}
