using Akka.Cluster;
using static Orchestrator.Actors.Fencing.OwnershipProtocol;
using static Orchestrator.Actors.Workflows.CreationProtocol;

namespace Orchestrator.Actors.Workflows;

/// <summary>
/// One VM creation: reserve the name at the ownership ledger, check no host runs or receives it, claim it (recorded at an epoch above
/// any the name had), create it on its host, release the name. Names are cluster-unique, two creates of a name cannot both pass the
/// check, and no stale copy can commit over a re-created VM. Every ask is bounded; the actor stops once it has answered.
/// </summary>
internal sealed class VmCreation : ReceiveActor
{
    /// <summary>The ledger is a singleton that may be starting or moving: give it as long as the fleet gets.</summary>
    public static readonly TimeSpan LedgerTimeout = TimeSpan.FromSeconds(20);

    public static readonly TimeSpan HostTimeout = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long the host may take to build the VM: <see cref="HostTimeout"/> and a second per 256 MiB of devices, as the host fills a new
    /// guest's memory before it answers (a 4 GiB VM: 21 s).
    /// </summary>
    public static TimeSpan CreateTimeout(VmSpec spec) =>
        HostTimeout + TimeSpan.FromSeconds(Math.Ceiling(spec.Devices.Sum(d => (double)d.SizeBytes) / (256 << 20)));

    /// <summary>An ask's answer, or null when none came in time.</summary>
    private sealed record Answer(object? Message);

    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Create _create;
    private readonly IActorRef _ledger;
    private readonly IActorRef _replyTo;
    private Guid? _reserved;

    public VmCreation(Create create, IActorRef ledger, IActorRef replyTo)
    {
        _create = create;
        _ledger = ledger;
        _replyTo = replyTo;
    }

    public static Props Props(Create create, IActorRef ledger, IActorRef replyTo) =>
        Akka.Actor.Props.Create(() => new VmCreation(create, ledger, replyTo));

    private string Name => _create.Spec.Name;

    protected override void PreStart()
    {
        if (VmName.Problem(Name) is { } badName)
        {
            Finish(CommandResult.Fail(badName));
            return;
        }
        if (!HostViews.Named(Cluster.Get(Context.System).State.Members).TryGetValue(_create.Host, out var host))
        {
            Finish(CommandResult.NotFound($"Host '{_create.Host}' not found"));
            return;
        }
        Ask(_ledger, new ReserveName(Name), LedgerTimeout);
        Become(() => Reserving(host));
    }

    /// <summary>Make sure the name is released whatever ended this creation.</summary>
    protected override void PostStop()
    {
        if (_reserved is { } token)
            _ledger.Tell(new ReleaseName(Name, token));
    }

    private void Reserving(Address host) => Receive<Answer>(answer =>
    {
        if (answer.Message is not NameReserved { Token: var token })
        {
            Finish(Refusal(answer.Message));
            return;
        }
        _reserved = token;
        var selections = HostViews.Askable(Cluster.Get(Context.System)).Values.Select(address => Context.ActorSelection(HostProtocol.PathOn(address))).ToArray();
        var lists = Task.WhenAll(selections.Select(selection => HostViews.Answer(selection, HostProtocol.ListVms.Instance, HostTimeout)));
        lists.PipeTo(Self, success: answers => new Answer(answers));
        Become(() => Scanning(host, token));
    });

    private void Scanning(Address host, Guid token) => Receive<Answer>(answer =>
    {
        var lists = ((object?[])answer.Message!).OfType<HostProtocol.VmList>();
        if (lists.FirstOrDefault(list => list.Vms.Any(v => v.Name == Name) || list.Incoming.Contains(Name)) is { } holder)
        {
            Finish(CommandResult.Conflict($"VM '{Name}' already exists on host {holder.Host}"));
            return;
        }
        Ask(_ledger, new ClaimName(Name, token, host.ToString()), LedgerTimeout);
        Become(() => Claiming(host));
    });

    private void Claiming(Address host) => Receive<Answer>(answer =>
    {
        if (answer.Message is not NameClaimed { Epoch: var epoch })
        {
            Finish(Refusal(answer.Message));
            return;
        }
        Ask(Context.ActorSelection(HostProtocol.PathOn(host)), new HostProtocol.CreateVm(_create.Spec, epoch), CreateTimeout(_create.Spec));
        Become(() => Creating(host));
    });

    private void Creating(Address host) => Receive<Answer>(answer =>
    {
        switch (answer.Message)
        {
            case CommandResult { Error: null }:
                _log.Info("VM {0} created on host {1}", Name, _create.Host);
                Ask(Context.ActorSelection(HostProtocol.PathOn(host)), HostProtocol.ListVms.Instance, HostTimeout);
                Become(Describing);
                break;
            case CommandResult error:
                Finish(error);
                break;
            default:
                Finish(CommandResult.Fail($"Host {_create.Host} did not answer within {CreateTimeout(_create.Spec).TotalSeconds:0} s: VM '{Name}' may or may not exist there; look with `orchestrator vm list`") with { Kind = ErrorKind.Unavailable });
                break;
        }
    });

    private void Describing() => Receive<Answer>(answer =>
        Finish(answer.Message is HostProtocol.VmList list && list.Vms.FirstOrDefault(v => v.Name == Name) is { } vm
            ? new Created(_create.Host, vm)
            : CommandResult.Fail($"VM '{Name}' was created on host {_create.Host}, which did not describe it in time") with { Kind = ErrorKind.Unavailable }));

    private void Ask(ICanTell target, object question, TimeSpan timeout) =>
        HostViews.Answer(target, question, timeout).PipeTo(Self, success: message => new Answer(message));

    private CommandResult Refusal(object? answer) => answer switch
    {
        NameRefused refused => CommandResult.Conflict($"VM '{Name}' was not created: {refused.Reason}"),
        null => CommandResult.Fail(
            $"VM '{Name}' was not created: the ownership ledger (a cluster singleton) did not answer within {LedgerTimeout.TotalSeconds:0} s; try again when the cluster has settled") with
        { Kind = ErrorKind.Unavailable },
        _ => CommandResult.Fail($"VM '{Name}' was not created: the ownership ledger answered {answer.GetType().Name}"),
    };

    private void Finish(object answer)
    {
        _replyTo.Tell(answer);
        Context.Stop(Self);
    }
}
