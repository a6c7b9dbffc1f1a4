using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;

namespace Grains.CodeGen;

/// <summary>Turns a grain class symbol into the model of its activator and manifest entry.</summary>
internal static class GrainClassParser
{
    public static ParseResult<GrainClassModel> Parse(INamedTypeSymbol type, KnownTypes known)
    {
        var diagnostics = new List<DiagnosticInfo>();
        if (type.IsGenericType)
        {
            diagnostics.Add(Diagnostics.Info(Diagnostics.GenericGrainClass, type, type.Name));
            return Fail(diagnostics);
        }

        if (!KnownTypes.IsVisibleToGeneratedCode(type))
        {
            diagnostics.Add(Diagnostics.Info(Diagnostics.InaccessibleType, type, type.ToDisplayString()));
            return Fail(diagnostics);
        }

        var grainTypeName = GrainTypeName(type, known, diagnostics);
        var interfaces = type.AllInterfaces
            .Where(i => known.IsGrainInterface(i) && !KnownTypes.IsMarkerInterface(i) && !i.IsGenericType)
            .Select(Names.Type)
            .ToEquatableArray();
        if (interfaces.Count == 0)
        {
            diagnostics.Add(Diagnostics.Info(Diagnostics.NoGrainInterface, type, type.Name));
        }

        var constructors = type.InstanceConstructors.Where(c => c.DeclaredAccessibility == Accessibility.Public).ToList();
        if (constructors.Count != 1)
        {
            diagnostics.Add(Diagnostics.Info(Diagnostics.ConstructorCount, type, type.Name, constructors.Count.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            return Fail(diagnostics);
        }

        var arguments = new List<ConstructorArgumentModel>();
        foreach (var parameter in constructors[0].Parameters)
        {
            var argument = ParseArgument(type, parameter, known, diagnostics);
            if (argument is null)
            {
                return Fail(diagnostics);
            }

            arguments.Add(argument);
        }

        if (grainTypeName is null)
        {
            return Fail(diagnostics);
        }

        var isReentrant = type.GetAttributes().Any(a => KnownTypes.Is(a.AttributeClass, known.Reentrant));
        var model = new GrainClassModel(Names.Type(type), grainTypeName, isReentrant, interfaces, arguments.ToEquatableArray());
        return new ParseResult<GrainClassModel>(model, diagnostics.ToEquatableArray());
    }

    private static ConstructorArgumentModel? ParseArgument(
        INamedTypeSymbol grainClass,
        IParameterSymbol parameter,
        KnownTypes known,
        List<DiagnosticInfo> diagnostics)
    {
        var type = Names.Type(parameter.Type);
        var stateAttribute = parameter.GetAttributes().FirstOrDefault(a => KnownTypes.Is(a.AttributeClass, known.PersistentState));
        if (stateAttribute is null)
        {
            if (KnownTypes.Is(parameter.Type, known.GrainContext))
            {
                return new ConstructorArgumentModel(ConstructorArgumentKind.GrainContext, type, null, null, null);
            }

            // A parameter with a default takes it when no service is registered (a value type's default as well).
            return parameter.HasExplicitDefaultValue
                ? new ConstructorArgumentModel(ConstructorArgumentKind.OptionalService, type, null, null, null, DefaultLiteral(parameter))
                : new ConstructorArgumentModel(ConstructorArgumentKind.RequiredService, type, null, null, null);
        }

        var named = parameter.Type as INamedTypeSymbol;
        var isEntries = named is { IsGenericType: true } && KnownTypes.Is(named.ConstructedFrom, known.PersistentEntriesInterface);
        if (named is not { IsGenericType: true } || (!isEntries && !KnownTypes.Is(named.ConstructedFrom, known.PersistentStateInterface)))
        {
            diagnostics.Add(Diagnostics.Info(Diagnostics.PersistentStateParameterType, parameter, grainClass.Name, parameter.Name, parameter.Type.ToDisplayString()));
            return null;
        }

        var stateType = named.TypeArguments[0];
        if (!isEntries && !HasPublicParameterlessConstructor(stateType))
        {
            diagnostics.Add(Diagnostics.Info(Diagnostics.StateTypeConstructor, parameter, stateType.ToDisplayString(), grainClass.Name));
            return null;
        }

        var stateName = stateAttribute.ConstructorArguments.Length > 0 ? stateAttribute.ConstructorArguments[0].Value as string : null;
        var storageName = stateAttribute.ConstructorArguments.Length > 1 ? stateAttribute.ConstructorArguments[1].Value as string : null;
        return new ConstructorArgumentModel(
            isEntries ? ConstructorArgumentKind.PersistentEntries : ConstructorArgumentKind.PersistentState,
            type,
            Names.Type(stateType),
            stateName ?? parameter.Name,
            storageName ?? "Default");
    }

    private static string? GrainTypeName(INamedTypeSymbol type, KnownTypes known, List<DiagnosticInfo> diagnostics)
    {
        var attribute = type.GetAttributes().FirstOrDefault(a => KnownTypes.Is(a.AttributeClass, known.GrainType));
        if (attribute is null)
        {
            // The default follows Orleans: the class name in lower case without a "Grain" suffix.
            var name = type.Name.Length > 5 && type.Name.EndsWith("Grain", System.StringComparison.Ordinal)
                ? type.Name.Substring(0, type.Name.Length - 5)
                : type.Name;
            return name.ToLowerInvariant();
        }

        var value = attribute.ConstructorArguments.FirstOrDefault().Value as string ?? "";
        if (value.Length == 0 || value.Length > 128 || value.Any(c => !(char.IsLetterOrDigit(c) || c is '.' or '-' or '_')))
        {
            diagnostics.Add(Diagnostics.Info(Diagnostics.InvalidGrainTypeName, type, type.Name, value));
            return null;
        }

        return value;
    }

    /// <summary>The parameter's default as C#: a literal cast to the parameter's type, or <c>default</c>.</summary>
    private static string DefaultLiteral(IParameterSymbol parameter) =>
        parameter.ExplicitDefaultValue is { } value
            ? "(" + Names.Type(parameter.Type) + ")(" + Literal(value) + ")"
            : "default(" + Names.Type(parameter.Type) + ")";

    // A decimal keeps its digits with its suffix (as a double literal it would lose them), and a double or float
    // that is not finite has no literal.
    private static string Literal(object value) => value switch
    {
        decimal number => Microsoft.CodeAnalysis.CSharp.SyntaxFactory.Literal(number).Text,
        double number when double.IsNaN(number) || double.IsInfinity(number) => double.IsNaN(number) ? "double.NaN" : number > 0 ? "double.PositiveInfinity" : "double.NegativeInfinity",
        float number when float.IsNaN(number) || float.IsInfinity(number) => float.IsNaN(number) ? "float.NaN" : number > 0 ? "float.PositiveInfinity" : "float.NegativeInfinity",
        _ => Microsoft.CodeAnalysis.CSharp.SymbolDisplay.FormatPrimitive(value, quoteStrings: true, useHexadecimalNumbers: false),
    };

    private static bool HasPublicParameterlessConstructor(ITypeSymbol type) =>
        type.IsValueType ||
        (type is INamedTypeSymbol { IsAbstract: false } named &&
         named.InstanceConstructors.Any(c => c.Parameters.Length == 0 && c.DeclaredAccessibility == Accessibility.Public));

    private static ParseResult<GrainClassModel> Fail(List<DiagnosticInfo> diagnostics) =>
        new(null, diagnostics.ToEquatableArray());
}
