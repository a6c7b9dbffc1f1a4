using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Microsoft.CodeAnalysis;

namespace Grains.CodeGen;

/// <summary>Turns a grain interface symbol into the model the emitter needs, with diagnostics for what it cannot support.</summary>
internal static class InterfaceParser
{
    public static ParseResult<InterfaceModel> Parse(INamedTypeSymbol type, KnownTypes known)
    {
        var diagnostics = new List<DiagnosticInfo>();
        if (type.IsGenericType)
        {
            diagnostics.Add(Diagnostics.Info(Diagnostics.GenericInterface, type, type.Name));
            return new ParseResult<InterfaceModel>(null, diagnostics.ToEquatableArray());
        }

        if (!KnownTypes.IsVisibleToGeneratedCode(type))
        {
            diagnostics.Add(Diagnostics.Info(Diagnostics.InaccessibleType, type, type.ToDisplayString()));
            return new ParseResult<InterfaceModel>(null, diagnostics.ToEquatableArray());
        }

        foreach (var member in type.GetMembers())
        {
            if (member is IPropertySymbol or IEventSymbol)
            {
                diagnostics.Add(Diagnostics.Info(Diagnostics.UnsupportedMember, member, type.Name, member.Name));
            }
        }

        // The proxy implements every member of every base: one of an interface that is not a grain's has no call.
        foreach (var other in type.Interfaces.Where(i => !known.IsGrainInterface(i) && i.GetMembers().Any(m => m.IsAbstract)))
        {
            diagnostics.Add(Diagnostics.Info(Diagnostics.NonGrainBaseInterface, type, type.Name, other.ToDisplayString()));
        }

        var methods = new List<MethodModel>();
        var ids = new Dictionary<int, string>();
        var complete = true;
        foreach (var declaring in new[] { type }.Concat(type.AllInterfaces).Where(known.IsGrainInterface))
        {
            var own = SymbolEqualityComparer.Default.Equals(declaring, type);
            foreach (var method in declaring.GetMembers().OfType<IMethodSymbol>())
            {
                if (method.MethodKind != MethodKind.Ordinary || method.IsStatic)
                {
                    continue;
                }

                // A body a grain class could override is never called on the grain: the proxy does not implement the
                // method, so a reference runs the interface's body in the caller. A sealed one is a caller-side helper.
                if (!method.IsAbstract)
                {
                    if (own && method.IsVirtual && method.DeclaredAccessibility == Accessibility.Public)
                    {
                        diagnostics.Add(Diagnostics.Info(Diagnostics.MethodWithBody, method, declaring.Name + "." + method.Name));
                    }

                    continue;
                }

                // Members of base interfaces in this compilation report their own diagnostics when their interface is
                // parsed; those of a referenced assembly's are reported here, as nothing else parses them. A proxy
                // without one of them would not compile, so none is made.
                var report = own || !declaring.Locations.Any(l => l.IsInSource) ? diagnostics : new List<DiagnosticInfo>();
                var model = ParseMethod(declaring, method, known, report);
                if (model is null)
                {
                    complete = false;
                    continue;
                }

                // Two bases may each declare a method of the same name and parameters: reported here, on the
                // interface that brings them together, as neither base alone collides.
                var name = declaring.Name + "." + method.Name;
                if (ids.TryGetValue(model.MethodId, out var first))
                {
                    diagnostics.Add(Diagnostics.Info(Diagnostics.MethodIdCollision, own ? method : type, first, name));
                    continue;
                }

                ids.Add(model.MethodId, name);
                methods.Add(model);
            }
        }

        // An interface with errors gets no proxy: the diagnostics say what to change, without errors in generated code.
        var result = complete && diagnostics.Count == 0 ? new InterfaceModel(Names.Type(type), Names.Mangle(type), methods.ToEquatableArray()) : null;
        return new ParseResult<InterfaceModel>(result, diagnostics.ToEquatableArray());
    }

    private static MethodModel? ParseMethod(
        INamedTypeSymbol declaring,
        IMethodSymbol method,
        KnownTypes known,
        List<DiagnosticInfo> diagnostics)
    {
        var displayName = declaring.Name + "." + method.Name;
        var valid = true;
        if (method.IsGenericMethod)
        {
            diagnostics.Add(Diagnostics.Info(Diagnostics.GenericMethod, method, displayName));
            valid = false;
        }

        foreach (var parameter in method.Parameters)
        {
            if (parameter.RefKind != RefKind.None)
            {
                diagnostics.Add(Diagnostics.Info(Diagnostics.ByRefParameter, parameter, displayName, parameter.Name));
                valid = false;
            }
            else if (KnownTypes.Is(parameter.Type, known.CancellationToken) || KnownTypes.Is(NullableOf(parameter.Type), known.CancellationToken))
            {
                diagnostics.Add(Diagnostics.Info(Diagnostics.CancellationTokenParameter, parameter, displayName, parameter.Name));
                valid = false;
            }
            else if (KnownTypes.WhyUnsendable(parameter.Type) is { } reason)
            {
                diagnostics.Add(Diagnostics.Info(Diagnostics.UnsendableType, parameter, displayName, $"Parameter '{parameter.Name}'", parameter.Type.ToDisplayString(), reason));
                valid = false;
            }
        }

        var returnKind = ClassifyReturn(method.ReturnType, known, out var resultType);
        if (returnKind is null)
        {
            diagnostics.Add(Diagnostics.Info(Diagnostics.InvalidReturnType, method, displayName, method.ReturnType.ToDisplayString()));
            return null;
        }

        if (method.ReturnType is INamedTypeSymbol { IsGenericType: true } returned && KnownTypes.WhyUnsendable(returned.TypeArguments[0]) is { } resultReason)
        {
            diagnostics.Add(Diagnostics.Info(Diagnostics.UnsendableType, method, displayName, "The result", returned.TypeArguments[0].ToDisplayString(), resultReason));
            valid = false;
        }

        var isOneWay = HasAttribute(method, known.OneWay);
        if (isOneWay && returnKind is ReturnKind.TaskOfT or ReturnKind.ValueTaskOfT)
        {
            diagnostics.Add(Diagnostics.Info(Diagnostics.OneWayWithResult, method, displayName, method.ReturnType.ToDisplayString()));
            valid = false;
        }

        long? timeoutTicks = null;
        var timeoutAttribute = method.GetAttributes().FirstOrDefault(a => KnownTypes.Is(a.AttributeClass, known.ResponseTimeout));
        if (timeoutAttribute is not null)
        {
            var text = timeoutAttribute.ConstructorArguments.FirstOrDefault().Value as string;
            // A bare number parses as days ("30" is a month): the text must name hours, minutes and seconds.
            if (text is not null && text.Contains(':') && TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var timeout) && timeout > TimeSpan.Zero)
            {
                timeoutTicks = timeout.Ticks;
            }
            else
            {
                diagnostics.Add(Diagnostics.Info(Diagnostics.InvalidResponseTimeout, method, displayName, text ?? ""));
                valid = false;
            }
        }

        if (!valid)
        {
            return null;
        }

        var parameters = method.Parameters
            .Select(p => new ParameterModel(Names.Identifier(p.Name), Names.Type(p.Type), p.IsParams))
            .ToEquatableArray();
        return new MethodModel(
            Names.Type(declaring),
            method.Name,
            Names.MethodId(method),
            returnKind.Value,
            Names.Type(method.ReturnType),
            resultType,
            parameters,
            isOneWay,
            HasAttribute(method, known.AlwaysInterleave),
            HasAttribute(method, known.Idempotent),
            timeoutTicks);
    }

    private static ReturnKind? ClassifyReturn(ITypeSymbol returnType, KnownTypes known, out string resultType)
    {
        resultType = "global::Grains.CodeGeneration.NoResult";
        if (returnType is not INamedTypeSymbol named)
        {
            return null;
        }

        if (KnownTypes.Is(named, known.Task))
        {
            return ReturnKind.Task;
        }

        if (KnownTypes.Is(named, known.ValueTask))
        {
            return ReturnKind.ValueTask;
        }

        if (named.IsGenericType && named.TypeArguments.Length == 1)
        {
            var definition = named.ConstructedFrom;
            if (KnownTypes.Is(definition, known.TaskOfT))
            {
                resultType = Names.Type(named.TypeArguments[0]);
                return ReturnKind.TaskOfT;
            }

            if (KnownTypes.Is(definition, known.ValueTaskOfT))
            {
                resultType = Names.Type(named.TypeArguments[0]);
                return ReturnKind.ValueTaskOfT;
            }
        }

        return null;
    }

    private static ITypeSymbol? NullableOf(ITypeSymbol type) =>
        type is INamedTypeSymbol { OriginalDefinition.SpecialType: SpecialType.System_Nullable_T } nullable ? nullable.TypeArguments[0] : null;

    private static bool HasAttribute(ISymbol symbol, INamedTypeSymbol? attribute) =>
        attribute is not null && symbol.GetAttributes().Any(a => KnownTypes.Is(a.AttributeClass, attribute));
}
