namespace Grains.CodeGen;

/// <summary>How a grain method hands back its result.</summary>
internal enum ReturnKind
{
    Task,
    TaskOfT,
    ValueTask,
    ValueTaskOfT,
}

internal sealed record ParameterModel(string Name, string Type, bool IsParams);

internal sealed record MethodModel(
    string DeclaringInterface,
    string Name,
    int MethodId,
    ReturnKind ReturnKind,
    string ReturnType,
    string ResultType,
    EquatableArray<ParameterModel> Parameters,
    bool IsOneWay,
    bool AlwaysInterleave,
    bool IsIdempotent,
    long? ResponseTimeoutTicks);

/// <summary>A grain interface in the compilation and every method its proxy must implement.</summary>
internal sealed record InterfaceModel(
    string Type,
    string MangledName,
    EquatableArray<MethodModel> Methods);

internal enum ConstructorArgumentKind
{
    RequiredService,
    OptionalService,
    PersistentState,
    PersistentEntries,
    GrainContext,
}

/// <summary>A grain class's constructor parameter; <see cref="DefaultValue"/>, C#, is what an optional one gets when no service is registered.</summary>
internal sealed record ConstructorArgumentModel(
    ConstructorArgumentKind Kind,
    string Type,
    string? StateType,
    string? StateName,
    string? StorageName,
    string? DefaultValue = null);

/// <summary>A grain class in the compilation: its type name, interfaces and constructor.</summary>
internal sealed record GrainClassModel(
    string Type,
    string GrainTypeName,
    bool IsReentrant,
    EquatableArray<string> Interfaces,
    EquatableArray<ConstructorArgumentModel> ConstructorArguments);

/// <summary>A diagnostic to report, kept as plain data so generator steps stay cacheable.</summary>
internal sealed record DiagnosticInfo(string Id, Microsoft.CodeAnalysis.Location? Location, EquatableArray<string> Arguments);

internal sealed record ParseResult<T>(T? Model, EquatableArray<DiagnosticInfo> Diagnostics)
    where T : class;
