using System.Linq;
using Microsoft.CodeAnalysis;

namespace Grains.CodeGen;

/// <summary>The framework and Grains types the generator recognises, resolved once per compilation.</summary>
internal sealed class KnownTypes
{
    private KnownTypes(Compilation compilation, INamedTypeSymbol grainInterface, INamedTypeSymbol grainClass)
    {
        GrainInterface = grainInterface;
        GrainClass = grainClass;
        Task = compilation.GetTypeByMetadataName("System.Threading.Tasks.Task");
        TaskOfT = compilation.GetTypeByMetadataName("System.Threading.Tasks.Task`1");
        ValueTask = compilation.GetTypeByMetadataName("System.Threading.Tasks.ValueTask");
        ValueTaskOfT = compilation.GetTypeByMetadataName("System.Threading.Tasks.ValueTask`1");
        CancellationToken = compilation.GetTypeByMetadataName("System.Threading.CancellationToken");
        OneWay = compilation.GetTypeByMetadataName("Grains.OneWayAttribute");
        AlwaysInterleave = compilation.GetTypeByMetadataName("Grains.AlwaysInterleaveAttribute");
        Idempotent = compilation.GetTypeByMetadataName("Grains.IdempotentAttribute");
        ResponseTimeout = compilation.GetTypeByMetadataName("Grains.ResponseTimeoutAttribute");
        Reentrant = compilation.GetTypeByMetadataName("Grains.ReentrantAttribute");
        GrainType = compilation.GetTypeByMetadataName("Grains.GrainTypeAttribute");
        PersistentState = compilation.GetTypeByMetadataName("Grains.PersistentStateAttribute");
        PersistentStateInterface = compilation.GetTypeByMetadataName("Grains.IPersistentState`1");
        PersistentEntriesInterface = compilation.GetTypeByMetadataName("Grains.IPersistentEntries`1");
        GrainContext = compilation.GetTypeByMetadataName("Grains.IGrainContext");
    }

    public INamedTypeSymbol GrainInterface { get; }

    public INamedTypeSymbol GrainClass { get; }

    public INamedTypeSymbol? Task { get; }

    public INamedTypeSymbol? TaskOfT { get; }

    public INamedTypeSymbol? ValueTask { get; }

    public INamedTypeSymbol? ValueTaskOfT { get; }

    public INamedTypeSymbol? CancellationToken { get; }

    public INamedTypeSymbol? OneWay { get; }

    public INamedTypeSymbol? AlwaysInterleave { get; }

    public INamedTypeSymbol? Idempotent { get; }

    public INamedTypeSymbol? ResponseTimeout { get; }

    public INamedTypeSymbol? Reentrant { get; }

    public INamedTypeSymbol? GrainType { get; }

    public INamedTypeSymbol? PersistentState { get; }

    public INamedTypeSymbol? PersistentStateInterface { get; }

    public INamedTypeSymbol? PersistentEntriesInterface { get; }

    public INamedTypeSymbol? GrainContext { get; }

    /// <summary>Null when the compilation does not reference Grains.Abstractions: then there is nothing to generate.</summary>
    public static KnownTypes? Create(Compilation compilation)
    {
        var grainInterface = compilation.GetTypeByMetadataName("Grains.IGrain");
        var grainClass = compilation.GetTypeByMetadataName("Grains.Grain");
        return grainInterface is null || grainClass is null ? null : new KnownTypes(compilation, grainInterface, grainClass);
    }

    public bool IsGrainInterface(INamedTypeSymbol type) =>
        type.TypeKind == TypeKind.Interface &&
        (SymbolEqualityComparer.Default.Equals(type, GrainInterface) ||
         type.AllInterfaces.Contains(GrainInterface, SymbolEqualityComparer.Default));

    /// <summary>The key-kind markers declared by Grains itself carry no methods and get no proxy.</summary>
    public static bool IsMarkerInterface(INamedTypeSymbol type) =>
        type.ContainingNamespace?.ToDisplayString() == "Grains" &&
        type.Name is "IGrain" or "IGrainWithStringKey" or "IGrainWithGuidKey" or "IGrainWithIntegerKey";

    public bool DerivesFromGrain(INamedTypeSymbol type)
    {
        for (var current = type.BaseType; current is not null; current = current.BaseType)
        {
            if (SymbolEqualityComparer.Default.Equals(current, GrainClass))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// False when generated code, in another file of the assembly, cannot name the type: it or a type it is nested in
    /// is private, protected, private protected or file-local.
    /// </summary>
    public static bool IsVisibleToGeneratedCode(INamedTypeSymbol type)
    {
        for (var current = type; current is not null; current = current.ContainingType)
        {
            if (current.IsFileLocal || current.DeclaredAccessibility is Accessibility.Private or Accessibility.Protected or Accessibility.ProtectedAndInternal)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// Why a grain call cannot carry a value of <paramref name="type"/>, or null when it can: a ref struct or pointer
    /// cannot be held in a call object, a tuple's fields are not written by the JSON codec (it would arrive empty), and
    /// an object, a grain reference, an interface that is not a collection or an abstract class that names no derived
    /// types cannot be made again on the receiving side. (A call to a grain in the same process passes its arguments
    /// as they are, so such a type would work until the grain was placed on another silo.)
    /// </summary>
    public static string? WhyUnsendable(ITypeSymbol type) => type switch
    {
        { IsRefLikeType: true } => "a ref struct cannot be held in a call",
        { TypeKind: TypeKind.Pointer or TypeKind.FunctionPointer } => "a pointer means nothing in another process",
        INamedTypeSymbol { IsTupleType: true } => "a tuple's fields are not written by the JSON codec, so it would arrive empty",
        { SpecialType: SpecialType.System_Object } => "an object arrives as a JSON element, not as the value sent",
        INamedTypeSymbol { TypeKind: TypeKind.Interface } grain when IsGrainReference(grain) =>
            "a grain reference is not a value; pass the grain's key and get the grain from the grain factory",
        INamedTypeSymbol { TypeKind: TypeKind.Interface } other when !IsCollection(other) && !HasConverter(other) =>
            "an interface that is not a collection cannot be made again on the receiving side",
        INamedTypeSymbol { TypeKind: TypeKind.Class, IsAbstract: true } abstractClass when !NamesDerivedTypes(abstractClass) && !HasConverter(abstractClass) =>
            "an abstract class cannot be made again on the receiving side unless it names its derived types ([JsonDerivedType])",
        IArrayTypeSymbol array => WhyUnsendable(array.ElementType),
        INamedTypeSymbol { IsGenericType: true } generic => generic.TypeArguments.Select(WhyUnsendable).FirstOrDefault(reason => reason is not null),
        _ => null,
    };

    private static bool IsGrainReference(INamedTypeSymbol type) =>
        type.ToDisplayString() == "Grains.IGrain" || type.AllInterfaces.Any(i => i.ToDisplayString() == "Grains.IGrain");

    private static bool IsCollection(INamedTypeSymbol type) =>
        type.SpecialType == SpecialType.System_Collections_IEnumerable
        || type.ConstructedFrom.SpecialType == SpecialType.System_Collections_Generic_IEnumerable_T
        || type.AllInterfaces.Any(i => i.SpecialType == SpecialType.System_Collections_IEnumerable);

    /// <summary>A type the serializer makes with a converter: one named by [JsonConverter], or a JSON node of System.Text.Json.</summary>
    private static bool HasConverter(INamedTypeSymbol type) =>
        type.ContainingNamespace?.ToDisplayString() == "System.Text.Json.Nodes"
        || type.GetAttributes().Any(a => a.AttributeClass?.ToDisplayString() == "System.Text.Json.Serialization.JsonConverterAttribute");

    private static bool NamesDerivedTypes(INamedTypeSymbol type) =>
        type.GetAttributes().Any(a => a.AttributeClass?.ToDisplayString() == "System.Text.Json.Serialization.JsonDerivedTypeAttribute");

    public static bool Is(ISymbol? symbol, INamedTypeSymbol? known) =>
        known is not null && SymbolEqualityComparer.Default.Equals(symbol, known);
}
