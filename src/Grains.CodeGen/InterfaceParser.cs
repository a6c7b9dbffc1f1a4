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

        foreach (var member in type.GetMembers())
        {
            if (member is IPropertySymbol or IEventSymbol)
            {
                diagnostics.Add(Diagnostics.Info(Diagnostics.UnsupportedMember, member, type.Name, member.Name));
            }
        }

        var methods = new List<MethodModel>();
        var ids = new Dictionary<int, string>();
        foreach (var declaring in new[] { type }.Concat(type.AllInterfaces).Where(known.IsGrainInterface))
        {
            foreach (var method in declaring.GetMembers().OfType<IMethodSymbol>())
            {
                if (method.MethodKind != MethodKind.Ordinary || !method.IsAbstract || method.IsStatic)
                {
                    continue;
                }

                // Members of base interfaces report their own diagnostics when their interface is parsed.
                var report = SymbolEqualityComparer.Default.Equals(declaring, type) ? diagnostics : new List<DiagnosticInfo>();
                var model = ParseMethod(declaring, method, known, report);
                if (model is null)
                {
                    continue;
                }

                if (ids.TryGetValue(model.MethodId, out var other))
                {
                    report.Add(Diagnostics.Info(Diagnostics.MethodIdCollision, method, other, method.Name));
                    continue;
                }

                ids.Add(model.MethodId, method.Name);
                methods.Add(model);
            }
        }

        var result = new InterfaceModel(Names.Type(type), Names.Mangle(type), methods.ToEquatableArray());
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
            else if (KnownTypes.Is(parameter.Type, known.CancellationToken))
            {
                diagnostics.Add(Diagnostics.Info(Diagnostics.CancellationTokenParameter, parameter, displayName, parameter.Name));
                valid = false;
            }
        }

        var returnKind = ClassifyReturn(method.ReturnType, known, out var resultType);
        if (returnKind is null)
        {
            diagnostics.Add(Diagnostics.Info(Diagnostics.InvalidReturnType, method, displayName, method.ReturnType.ToDisplayString()));
            return null;
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
            if (TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var timeout) && timeout > TimeSpan.Zero)
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

    private static bool HasAttribute(ISymbol symbol, INamedTypeSymbol? attribute) =>
        attribute is not null && symbol.GetAttributes().Any(a => KnownTypes.Is(a.AttributeClass, attribute));
}
