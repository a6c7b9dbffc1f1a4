using Grains.Activation;
using Grains.CodeGeneration;

namespace Grains.Messaging;

/// <summary>Decides where a call goes: a local activation or the silo that owns the grain.</summary>
internal interface ICallRouter
{
    void Route(GrainId target, GrainCall call);
}

/// <summary>The router of a single silo without a cluster: every grain is local.</summary>
internal sealed class LocalCallRouter(ActivationDirectory directory) : ICallRouter
{
    public void Route(GrainId target, GrainCall call) => directory.Deliver(target, call);
}
