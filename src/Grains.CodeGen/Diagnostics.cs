using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;

namespace Grains.CodeGen;

/// <summary>Every diagnostic the generator reports. Ids are stable; messages say what to change.</summary>
internal static class Diagnostics
{
    private const string Category = "Grains";

    public static readonly DiagnosticDescriptor InvalidReturnType = Error(
        "GRAINS001",
        "Grain method must return Task or ValueTask",
        "Grain method '{0}' returns '{1}'; grain interface methods must return Task, Task<T>, ValueTask or ValueTask<T>");

    public static readonly DiagnosticDescriptor UnsupportedMember = Error(
        "GRAINS002",
        "Grain interfaces declare only methods",
        "Grain interface '{0}' declares '{1}'; grain interfaces may declare only methods (no properties, events or indexers)");

    public static readonly DiagnosticDescriptor GenericMethod = Error(
        "GRAINS003",
        "Generic grain methods are not supported",
        "Grain method '{0}' is generic; use concrete parameter types");

    public static readonly DiagnosticDescriptor ByRefParameter = Error(
        "GRAINS004",
        "Grain method parameters are passed by value",
        "Parameter '{1}' of grain method '{0}' is ref, out or in; a grain call copies its arguments, so pass them by value");

    public static readonly DiagnosticDescriptor OneWayWithResult = Error(
        "GRAINS005",
        "One-way methods return no result",
        "Grain method '{0}' is [OneWay] but returns '{1}'; a one-way method must return Task or ValueTask");

    public static readonly DiagnosticDescriptor GenericInterface = Error(
        "GRAINS006",
        "Generic grain interfaces are not supported",
        "Grain interface '{0}' is generic; declare a non-generic interface per type");

    public static readonly DiagnosticDescriptor ConstructorCount = Error(
        "GRAINS007",
        "Grain class needs exactly one public constructor",
        "Grain class '{0}' has {1} public constructors; declare exactly one, whose parameters come from dependency injection");

    public static readonly DiagnosticDescriptor PersistentStateParameterType = Error(
        "GRAINS008",
        "[PersistentState] needs IPersistentState<T> or IPersistentEntries<T>",
        "Parameter '{1}' of grain class '{0}' has [PersistentState] but its type is '{2}'; declare it as IPersistentState<T> or IPersistentEntries<T>");

    public static readonly DiagnosticDescriptor StateTypeConstructor = Error(
        "GRAINS009",
        "State type needs a parameterless constructor",
        "State type '{0}' of grain class '{1}' needs a public parameterless constructor, used for the state before the first write");

    public static readonly DiagnosticDescriptor GenericGrainClass = Error(
        "GRAINS010",
        "Generic grain classes are not supported",
        "Grain class '{0}' is generic; declare a non-generic class");

    public static readonly DiagnosticDescriptor InvalidResponseTimeout = Error(
        "GRAINS011",
        "Invalid response timeout",
        "[ResponseTimeout(\"{1}\")] on grain method '{0}' is not a positive TimeSpan written with hours, minutes and seconds, such as \"00:00:05\" (a bare number would mean days)");

    public static readonly DiagnosticDescriptor MethodIdCollision = Error(
        "GRAINS012",
        "Method id collision",
        "Grain methods '{0}' and '{1}' hash to the same method id; rename one of them");

    public static readonly DiagnosticDescriptor NoGrainInterface = Warning(
        "GRAINS013",
        "Grain class implements no grain interface",
        "Grain class '{0}' implements no grain interface, so no reference can reach it");

    public static readonly DiagnosticDescriptor InvalidGrainTypeName = Error(
        "GRAINS014",
        "Invalid grain type name",
        "[GrainType(\"{1}\")] on grain class '{0}' is not a valid grain type name: use 1 to 128 letters, digits, '.', '-' or '_'");

    public static readonly DiagnosticDescriptor CancellationTokenParameter = Error(
        "GRAINS015",
        "CancellationToken parameters are not supported",
        "Parameter '{1}' of grain method '{0}' is a CancellationToken; grain calls are bounded by the response timeout instead");

    public static readonly DiagnosticDescriptor NonGrainBaseInterface = Error(
        "GRAINS016",
        "Grain interfaces inherit only grain interfaces",
        "Grain interface '{0}' inherits '{1}', which is not a grain interface, so its members cannot be called on a grain; derive '{1}' from IGrain, or declare its methods on '{0}'");

    public static readonly DiagnosticDescriptor UnsendableType = Error(
        "GRAINS017",
        "Grain method arguments and results must be serializable values",
        "{1} of grain method '{0}' has type '{2}', which a grain call cannot carry in a message: {3}; use a record, an array or another serializable type");

    public static readonly DiagnosticDescriptor InaccessibleType = Error(
        "GRAINS018",
        "Grain types must be visible to generated code",
        "'{0}' is private, protected or file-local (or nested in such a type), so the code generated for it cannot name it; make it public or internal");

    public static readonly DiagnosticDescriptor MethodWithBody = Error(
        "GRAINS019",
        "Grain interface methods have no body",
        "Grain method '{0}' has a body in its interface; a call on a grain reference would run that body in the caller, never the grain's own method. Remove the body and implement it in the grain class, or mark it sealed to keep it as a helper that runs in the caller");

    private static readonly Dictionary<string, DiagnosticDescriptor> s_byId = new[]
    {
        InvalidReturnType, UnsupportedMember, GenericMethod, ByRefParameter, OneWayWithResult, GenericInterface,
        ConstructorCount, PersistentStateParameterType, StateTypeConstructor, GenericGrainClass, InvalidResponseTimeout,
        MethodIdCollision, NoGrainInterface, InvalidGrainTypeName, CancellationTokenParameter, NonGrainBaseInterface,
        UnsendableType, InaccessibleType, MethodWithBody,
    }.ToDictionary(d => d.Id);

    public static Diagnostic Create(DiagnosticInfo info) =>
        Diagnostic.Create(s_byId[info.Id], info.Location, info.Arguments.Items.Cast<object>().ToArray());

    public static DiagnosticInfo Info(DiagnosticDescriptor descriptor, ISymbol symbol, params string[] arguments) =>
        new(descriptor.Id, symbol.Locations.FirstOrDefault(l => l.IsInSource), arguments.ToEquatableArray());

    private static DiagnosticDescriptor Error(string id, string title, string message) =>
        new(id, title, message, Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    private static DiagnosticDescriptor Warning(string id, string title, string message) =>
        new(id, title, message, Category, DiagnosticSeverity.Warning, isEnabledByDefault: true);
}
