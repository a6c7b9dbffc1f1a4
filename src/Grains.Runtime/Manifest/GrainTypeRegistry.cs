using System.Reflection;
using Grains.CodeGeneration;

namespace Grains.Manifest;

/// <summary>
/// Every grain interface and grain class the silo knows, read from the generated manifests of its application parts
/// (and the assemblies they reference). Built once at start; read-only afterwards.
/// </summary>
public sealed class GrainTypeRegistry
{
    private readonly Dictionary<Type, GrainInterfaceDescriptor> _interfaces = [];
    private readonly Dictionary<string, GrainClassDescriptor> _classesByGrainType = new(StringComparer.Ordinal);
    private readonly Dictionary<Type, List<GrainClassDescriptor>> _implementations = [];
    private readonly Dictionary<(string Interface, int MethodId), GrainMethodDescriptor> _methods = [];
    private readonly Dictionary<string, Type> _interfacesByName = new(StringComparer.Ordinal);

    public GrainTypeRegistry(IEnumerable<Assembly> applicationParts)
    {
        ArgumentNullException.ThrowIfNull(applicationParts);
        var builder = new GrainManifestBuilder();
        foreach (var assembly in ManifestAssemblies(applicationParts))
        {
            foreach (var attribute in assembly.GetCustomAttributes<GrainManifestProviderAttribute>())
            {
                var provider = (IGrainManifestProvider)Activator.CreateInstance(attribute.ProviderType)!;
                provider.Populate(builder);
            }
        }

        foreach (var descriptor in builder.Interfaces)
        {
            _interfaces.TryAdd(descriptor.InterfaceType, descriptor);
            _interfacesByName.TryAdd(descriptor.InterfaceType.FullName!, descriptor.InterfaceType);
            foreach (var method in descriptor.Methods)
            {
                _methods.TryAdd((descriptor.InterfaceType.FullName!, method.MethodId), method);
            }
        }

        foreach (var descriptor in builder.Classes)
        {
            if (_classesByGrainType.TryGetValue(descriptor.GrainType, out var existing) && existing.GrainClass != descriptor.GrainClass)
            {
                throw new InvalidOperationException(
                    $"The grain classes {existing.GrainClass.FullName} and {descriptor.GrainClass.FullName} share the grain type name '{descriptor.GrainType}'. " +
                    "Give one of them a distinct [GrainType(\"...\")].");
            }

            _classesByGrainType[descriptor.GrainType] = descriptor;
            foreach (var grainInterface in descriptor.Interfaces)
            {
                if (!_implementations.TryGetValue(grainInterface, out var list))
                {
                    _implementations[grainInterface] = list = [];
                }

                if (!list.Contains(descriptor))
                {
                    list.Add(descriptor);
                }
            }
        }
    }

    public IReadOnlyCollection<GrainClassDescriptor> Classes => _classesByGrainType.Values;

    public IReadOnlyCollection<GrainInterfaceDescriptor> Interfaces => _interfaces.Values;

    public GrainInterfaceDescriptor GetInterface(Type interfaceType) =>
        _interfaces.TryGetValue(interfaceType, out var descriptor)
            ? descriptor
            : throw new InvalidOperationException(
                $"No proxy was generated for {interfaceType.FullName}. Reference the Grains.CodeGen generator from the project that declares it, " +
                "and add that assembly to the silo with AddApplicationPart.");

    /// <summary>The grain class behind an interface; exactly one class may implement it.</summary>
    public GrainClassDescriptor GetClassForInterface(Type interfaceType)
    {
        if (!_implementations.TryGetValue(interfaceType, out var classes) || classes.Count == 0)
        {
            throw new InvalidOperationException(
                $"No grain class implements {interfaceType.FullName}. Add the assembly that contains it to the silo with AddApplicationPart.");
        }

        if (classes.Count > 1)
        {
            throw new InvalidOperationException(
                $"{interfaceType.FullName} is implemented by several grain classes ({string.Join(", ", classes.Select(c => c.GrainClass.FullName))}); " +
                "give each its own interface.");
        }

        return classes[0];
    }

    public bool TryGetClass(string grainType, out GrainClassDescriptor descriptor) =>
        _classesByGrainType.TryGetValue(grainType, out descriptor!);

    /// <summary>Finds a method by the names a message carries: the interface's full name and the method id.</summary>
    public bool TryGetMethod(string interfaceName, int methodId, out GrainMethodDescriptor method) =>
        _methods.TryGetValue((interfaceName, methodId), out method!);

    /// <summary>Interface full name to grain type, for every interface with exactly one grain class here (sent to clients).</summary>
    public Dictionary<string, string> GrainTypesByInterfaceName() =>
        _implementations
            .Where(pair => pair.Value.Count == 1)
            .ToDictionary(pair => pair.Key.FullName!, pair => pair.Value[0].GrainType, StringComparer.Ordinal);

    public bool TryGetInterface(string interfaceName, out Type interfaceType) => _interfacesByName.TryGetValue(interfaceName, out interfaceType!);

    private static IEnumerable<Assembly> ManifestAssemblies(IEnumerable<Assembly> roots)
    {
        var abstractionsName = typeof(IGrain).Assembly.GetName().Name;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Stack<Assembly>(roots);
        while (pending.Count > 0)
        {
            var assembly = pending.Pop();
            if (!seen.Add(assembly.FullName!))
            {
                continue;
            }

            yield return assembly;
            foreach (var reference in assembly.GetReferencedAssemblies())
            {
                // Only assemblies built against Grains.Abstractions can carry grain manifests.
                if (reference.Name == abstractionsName || seen.Contains(reference.FullName))
                {
                    continue;
                }

                var loaded = Assembly.Load(reference);
                if (loaded.GetReferencedAssemblies().Any(r => r.Name == abstractionsName))
                {
                    pending.Push(loaded);
                }
            }
        }
    }
}
