namespace Grains.CodeGeneration;

/// <summary>Points the runtime at the generated manifest of an assembly.</summary>
[AttributeUsage(AttributeTargets.Assembly, AllowMultiple = true)]
public sealed class GrainManifestProviderAttribute(Type providerType) : Attribute
{
    public Type ProviderType { get; } = providerType;
}

/// <summary>Implemented by generated code: lists an assembly's grain interfaces and grain classes.</summary>
public interface IGrainManifestProvider
{
    void Populate(GrainManifestBuilder builder);
}

/// <summary>A grain interface: how to make a proxy for it, and its methods.</summary>
public sealed record GrainInterfaceDescriptor(
    Type InterfaceType,
    Func<IGrainCallInvoker, GrainId, object> CreateProxy,
    IReadOnlyList<GrainMethodDescriptor> Methods);

/// <summary>A grain class: its grain type name, the interfaces it implements, and its generated activator.</summary>
public sealed record GrainClassDescriptor(
    Type GrainClass,
    string GrainType,
    bool IsReentrant,
    IReadOnlyList<Type> Interfaces,
    Func<IGrainActivationContext, Grain> Activate);

/// <summary>Collects descriptors from generated manifests.</summary>
public sealed class GrainManifestBuilder
{
    private readonly List<GrainInterfaceDescriptor> _interfaces = [];
    private readonly List<GrainClassDescriptor> _classes = [];

    public IReadOnlyList<GrainInterfaceDescriptor> Interfaces => _interfaces;

    public IReadOnlyList<GrainClassDescriptor> Classes => _classes;

    public void AddInterface(GrainInterfaceDescriptor descriptor)
    {
        ArgumentNullException.ThrowIfNull(descriptor);
        _interfaces.Add(descriptor);
    }

    public void AddClass(GrainClassDescriptor descriptor)
    {
        ArgumentNullException.ThrowIfNull(descriptor);
        _classes.Add(descriptor);
    }
}
