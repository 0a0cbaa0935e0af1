using Akka.Configuration;
using Orchestrator.Actors.Wire;

namespace Orchestrator.Actors.Hosting;

/// <summary>Options to Akka configuration, in one place: remoting, frame size, and the wire serializer binding.</summary>
public static class MigrationConfig
{
    public static Config ToConfig(this RemotingOptions options)
    {
        var wire = typeof(IMigrationWire);
        var serializer = typeof(MigrationWireSerializer);
        var hostWire = typeof(IHostWire);
        var hostSerializer = typeof(HostWireSerializer);
        var journal = typeof(Fleet.Journal.FleetEvents.IFleetEvent);
        var snapshot = typeof(Fleet.Journal.FleetEvents.FleetSnapshot);
        var journalSerializer = typeof(Fleet.Journal.FleetJournalSerializer);
        var logger = typeof(StandardErrorLogger);
        var hocon = $$"""
            akka {
              loglevel = {{options.LogLevel}}
              # Nothing on stdout, even while the ActorSystem starts or stops.
              stdout-loglevel = OFF
              {{(options.StandardErrorLog ? $"loggers = [\"{logger.FullName}, {logger.Assembly.GetName().Name}\"]" : "")}}
              actor {
                provider = {{(options.Cluster ? "cluster" : "remote")}}
                serializers.migration-wire = "{{serializer.FullName}}, {{serializer.Assembly.GetName().Name}}"
                serializers.host-wire = "{{hostSerializer.FullName}}, {{hostSerializer.Assembly.GetName().Name}}"
                serializers.fleet-journal = "{{journalSerializer.FullName}}, {{journalSerializer.Assembly.GetName().Name}}"
                serialization-bindings {
                  "{{journal.FullName}}, {{journal.Assembly.GetName().Name}}" = fleet-journal
                  "{{snapshot.FullName}}, {{snapshot.Assembly.GetName().Name}}" = fleet-journal
                  "{{wire.FullName}}, {{wire.Assembly.GetName().Name}}" = migration-wire
                  "{{hostWire.FullName}}, {{hostWire.Assembly.GetName().Name}}" = host-wire
                }
                serialization-identifiers {
                  "{{serializer.FullName}}, {{serializer.Assembly.GetName().Name}}" = {{MigrationWireSerializer.Id}}
                  "{{hostSerializer.FullName}}, {{hostSerializer.Assembly.GetName().Name}}" = {{HostWireSerializer.Id}}
                  "{{journalSerializer.FullName}}, {{journalSerializer.Assembly.GetName().Name}}" = {{Fleet.Journal.FleetJournalSerializer.Id}}
                }
              }
              {{(options.Cluster ? ClusterFailureConfig(options) : "")}}
              remote {
                # Lifecycle events are still published (migrations watch them); only their logging is off.
                log-remote-lifecycle-events = off
                dot-netty.tcp {
                  hostname = "{{options.Hostname}}"
                  port = {{options.Port}}
                  maximum-frame-size = {{options.MaximumFrameSize}}b
                  send-buffer-size = {{options.SocketBufferSize}}b
                  receive-buffer-size = {{options.SocketBufferSize}}b
                  # Batching holds small writes up to its flush interval (40 ms): every credit would
                  # wait that long, and stop-copy is a chain of credit round trips. Chunks are large
                  # enough to fill the socket without it.
                  batching.enabled = {{(options.Batching ? "true" : "false")}}
                  {{(options.FaultInjection ? "applied-adapters = [\"trttl\"]" : "")}}
                }
              }
            }
            """;
        return ConfigurationFactory.ParseString(hocon);
    }

    /// <summary>Failure detection and downing: when a silent peer counts as gone. docs/cluster.md says why these values.</summary>
    private static string ClusterFailureConfig(RemotingOptions options)
    {
        var pause = (options.HeartbeatPause ?? RemotingOptions.DefaultHeartbeatPause).TotalMilliseconds;
        var down = (options.DownAfter ?? RemotingOptions.DefaultDownAfter).TotalMilliseconds;
        return $$"""
            cluster {
              failure-detector {
                heartbeat-interval = 1s
                acceptable-heartbeat-pause = {{pause:0}}ms
              }
              split-brain-resolver {
                active-strategy = keep-majority
                stable-after = {{down:0}}ms
              }
            }
            """;
    }

    /// <summary>Cluster membership for nodes that join programmatically (a drill's in-process cluster).</summary>
    public static Config ToConfig(this MembershipOptions options)
    {
        var roles = string.Join(", ", options.Roles.Select(r => $"\"{r}\""));
        var hocon = $$"""
            akka {
              cluster {
                roles = [{{roles}}]
                failure-detector.acceptable-heartbeat-pause = {{(long)options.FailureDetectorPause.TotalMilliseconds}}ms
                downing-provider-class = "Akka.Cluster.SBR.SplitBrainResolverProvider, Akka.Cluster"
                split-brain-resolver {
                  active-strategy = keep-majority
                  stable-after = {{(long)options.DownAfter.TotalMilliseconds}}ms
                }
              }
              # Off: terminating the ActorSystem is then a crash (no leave, no cancelled migrations), which
              # is what a drill's kill needs. A downed member still runs its shutdown as in production.
              coordinated-shutdown.run-by-actor-system-terminate = {{(options.ShutdownOnTerminate ? "on" : "off")}}
            }
            """;
        return ConfigurationFactory.ParseString(hocon);
    }
}
