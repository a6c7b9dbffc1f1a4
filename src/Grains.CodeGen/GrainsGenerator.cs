using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Grains.CodeGen;

/// <summary>
/// Emits, for every grain interface in the compilation, a proxy and one call class per method, and for every grain
/// class an activator; all of it is listed in one manifest per assembly that the runtime reads at start.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed class GrainsGenerator : IIncrementalGenerator
{
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        var interfaces = context.SyntaxProvider.CreateSyntaxProvider(
                static (node, _) => node is InterfaceDeclarationSyntax { BaseList: not null },
                static (syntax, cancellationToken) =>
                {
                    var known = KnownTypes.Create(syntax.SemanticModel.Compilation);
                    if (known is null ||
                        syntax.SemanticModel.GetDeclaredSymbol(syntax.Node, cancellationToken) is not INamedTypeSymbol type ||
                        !known.IsGrainInterface(type))
                    {
                        return null;
                    }

                    return InterfaceParser.Parse(type, known);
                })
            .Where(static result => result is not null)
            .Select(static (result, _) => result!);

        var classes = context.SyntaxProvider.CreateSyntaxProvider(
                static (node, _) => node is ClassDeclarationSyntax { BaseList: not null },
                static (syntax, cancellationToken) =>
                {
                    var known = KnownTypes.Create(syntax.SemanticModel.Compilation);
                    if (known is null ||
                        syntax.SemanticModel.GetDeclaredSymbol(syntax.Node, cancellationToken) is not INamedTypeSymbol type ||
                        type.IsAbstract ||
                        !known.DerivesFromGrain(type))
                    {
                        return null;
                    }

                    return GrainClassParser.Parse(type, known);
                })
            .Where(static result => result is not null)
            .Select(static (result, _) => result!);

        // A partial interface or class has one declaration per part; generate once per type.
        var distinctInterfaces = interfaces.Collect().Select(static (all, _) => UniqueNames(Distinct(all, static m => m.Type)));
        var distinctClasses = classes.Collect().Select(static (all, _) => Distinct(all, static m => m.Type));

        context.RegisterSourceOutput(distinctInterfaces, static (output, results) =>
        {
            foreach (var result in results)
            {
                Report(output, result.Diagnostics);
                if (result.Model is { } model)
                {
                    output.AddSource(model.MangledName + ".g.cs", Emitter.EmitInterface(model));
                }
            }
        });

        var assemblyName = context.CompilationProvider.Select(static (compilation, _) => compilation.AssemblyName ?? "Assembly");
        var manifestInput = distinctInterfaces.Combine(distinctClasses).Combine(assemblyName);
        context.RegisterSourceOutput(manifestInput, static (output, input) =>
        {
            var ((interfaceResults, classResults), assembly) = input;
            foreach (var result in classResults)
            {
                Report(output, result.Diagnostics);
            }

            var interfaceModels = interfaceResults.Select(r => r.Model).OfType<InterfaceModel>().ToList();
            var classModels = classResults.Select(r => r.Model).OfType<GrainClassModel>().ToList();
            if (interfaceModels.Count == 0 && classModels.Count == 0)
            {
                return;
            }

            var manifestName = "GrainManifest_" + Names.Mangle(assembly);
            // A dot keeps the hint apart from every interface's, which are mangled names (letters, digits, '_').
            output.AddSource("Grains.Manifest.g.cs", Emitter.EmitManifest(manifestName, interfaceModels, classModels));
        });
    }

    // Each part of a partial type is parsed alike: one result per type, and a failed type's diagnostics once (the
    // parts' results are then equal: the same diagnostics at the type's first location).
    private static ImmutableArray<ParseResult<T>> Distinct<T>(ImmutableArray<ParseResult<T>> all, System.Func<T, string> key)
        where T : class =>
        all.GroupBy(r => r.Model is null ? null : key(r.Model))
            .SelectMany(g => g.Key is null ? g.Distinct() : g.Take(1))
            .ToImmutableArray();

    /// <summary>Interfaces whose mangled names are the same get a suffix from their full names, so that each proxy has its own.</summary>
    private static ImmutableArray<ParseResult<InterfaceModel>> UniqueNames(ImmutableArray<ParseResult<InterfaceModel>> results)
    {
        var clashing = new HashSet<string>(results
            .Select(r => r.Model?.MangledName)
            .OfType<string>()
            .GroupBy(name => name)
            .Where(group => group.Count() > 1)
            .Select(group => group.Key));
        return clashing.Count == 0
            ? results
            : results.Select(r => r.Model is { } model && clashing.Contains(model.MangledName)
                    ? r with { Model = model with { MangledName = model.MangledName + "_" + Names.Disambiguator(model.Type) } }
                    : r)
                .ToImmutableArray();
    }

    private static void Report(SourceProductionContext output, EquatableArray<DiagnosticInfo> diagnostics)
    {
        foreach (var diagnostic in diagnostics)
        {
            output.ReportDiagnostic(Diagnostics.Create(diagnostic));
        }
    }
}
