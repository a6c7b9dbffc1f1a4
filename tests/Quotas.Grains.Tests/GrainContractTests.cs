using System.Reflection;
using System.Text;
using System.Text.Json.Serialization;
using Grains;
using Grains.Manifest;
using Quotas.Grains.Tenants;

namespace Quotas.Grains.Tests;

/// <summary>
/// What identifies the product's grain calls across releases (docs/contracts.md): each grain type's name and class,
/// each grain interface's full name, and each method's id with its parameters and result. The method id covers only
/// the method's name and parameter types, so a changed result type, or two parameters of one type swapped, keep it
/// while a caller of the release before reads the answer wrongly or binds its arguments to the wrong parameters. Any
/// such change shows here as a difference from docs/grain-contract.txt, to be reviewed against the compatibility rules.
/// So do the members of the product's types those methods carry (a property renamed or taken out loses its value
/// between releases; an enum member renumbered changes meaning).
/// </summary>
public sealed class GrainContractTests
{
    /// <summary>Set to 1 to write the current contract over the committed one after an intended change; review the diff.</summary>
    private const string AcceptVariable = "QUOTAS_ACCEPT_CONTRACT";

    [Fact]
    public async Task The_grain_types_interfaces_and_methods_match_the_committed_contract()
    {
        var current = Describe(new GrainTypeRegistry([typeof(TenantGrain).Assembly]));
        var committedPath = Path.Combine(RepositoryRoot(), "docs", "grain-contract.txt");
        if (Environment.GetEnvironmentVariable(AcceptVariable) == "1")
        {
            await File.WriteAllTextAsync(committedPath, current);
            return;
        }

        var committed = File.Exists(committedPath) ? (await File.ReadAllTextAsync(committedPath)).ReplaceLineEndings("\n") : "";
        Assert.True(
            committed == current,
            $"The grain contract changed: it differs from docs/grain-contract.txt. Check the change against docs/contracts.md " +
            $"(a changed result type or parameter order needs a new method); if it is compatible, run the tests once with {AcceptVariable}=1 and commit the reviewed diff.\n{current}");
    }

    private static string Describe(GrainTypeRegistry registry)
    {
        var text = new StringBuilder();
        foreach (var grain in registry.Classes.Where(c => IsProduct(c.GrainClass)).OrderBy(c => c.GrainType, StringComparer.Ordinal))
        {
            var interfaces = grain.Interfaces.Where(IsProduct).Select(i => i.FullName).Order(StringComparer.Ordinal);
            text.Append($"grain type '{grain.GrainType}': {grain.GrainClass.FullName}{(grain.IsReentrant ? " (reentrant)" : "")} implements {string.Join(", ", interfaces)}\n");
        }

        foreach (var grainInterface in registry.Interfaces.Where(i => IsProduct(i.InterfaceType)).OrderBy(i => i.InterfaceType.FullName, StringComparer.Ordinal))
        {
            text.Append($"\ninterface {grainInterface.InterfaceType.FullName}\n");
            var declared = new[] { grainInterface.InterfaceType }.Concat(grainInterface.InterfaceType.GetInterfaces()).SelectMany(t => t.GetMethods()).ToList();
            foreach (var byName in grainInterface.Methods.GroupBy(m => m.MethodName).OrderBy(g => g.Key, StringComparer.Ordinal))
            {
                // Overloads share a name: their ids and signatures are listed together, each sorted.
                var ids = string.Join(",", byName.Select(m => m.MethodId.ToString("X8", System.Globalization.CultureInfo.InvariantCulture)).Order(StringComparer.Ordinal));
                foreach (var signature in declared.Where(m => m.Name == byName.Key).Select(Signature).Order(StringComparer.Ordinal))
                {
                    text.Append($"  {ids} {signature}\n");
                }
            }
        }

        text.Append("\ntypes carried\n");
        foreach (var type in Carried(registry).OrderBy(t => t.FullName, StringComparer.Ordinal))
        {
            var members = type.IsEnum
                ? Enum.GetNames(type).Select(name => $"{name} = {Convert.ToInt64(Enum.Parse(type, name), System.Globalization.CultureInfo.InvariantCulture)}")
                : type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.GetIndexParameters().Length == 0).Select(p => $"{TypeName(p.PropertyType)} {p.Name}").Order(StringComparer.Ordinal);
            var discriminators = type.GetCustomAttributes<JsonDerivedTypeAttribute>().Select(d => $"{d.TypeDiscriminator} = {TypeName(d.DerivedType)}");
            text.Append($"  {TypeName(type)}: {string.Join("; ", members.Concat(discriminators))}\n");
        }

        return text.ToString();
    }

    /// <summary>The product's types in the grain methods' parameters and results, and in those types' properties, transitively.</summary>
    private static HashSet<Type> Carried(GrainTypeRegistry registry)
    {
        var found = new HashSet<Type>();
        var pending = new Stack<Type>(registry.Interfaces.Where(i => IsProduct(i.InterfaceType))
            .SelectMany(i => new[] { i.InterfaceType }.Concat(i.InterfaceType.GetInterfaces()).SelectMany(t => t.GetMethods()))
            .SelectMany(m => m.GetParameters().Select(p => p.ParameterType).Append(m.ReturnType)));
        while (pending.TryPop(out var type))
        {
            if ((Nullable.GetUnderlyingType(type) ?? type.GetElementType()) is { } inner)
            {
                pending.Push(inner); // a nullable value or an array carries what it holds
            }
            else if (type.IsGenericType && !IsProduct(type))
            {
                foreach (var argument in type.GetGenericArguments())
                {
                    pending.Push(argument);
                }
            }
            else if (IsProduct(type) && !type.IsInterface && found.Add(type))
            {
                foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
                {
                    pending.Push(property.PropertyType);
                }

                // A polymorphic type carries its derived types under their discriminators.
                foreach (var derived in type.GetCustomAttributes<JsonDerivedTypeAttribute>())
                {
                    pending.Push(derived.DerivedType);
                }
            }
        }

        return found;
    }

    private static bool IsProduct(Type type) => type.Namespace?.StartsWith("Quotas.", StringComparison.Ordinal) == true;

    private static string Signature(MethodInfo method) =>
        $"{TypeName(method.ReturnType)} {method.Name}({string.Join(", ", method.GetParameters().Select(p => $"{TypeName(p.ParameterType)} {p.Name}{(p.HasDefaultValue ? $" = {p.DefaultValue ?? "null"}" : "")}"))})";

    private static string TypeName(Type type)
    {
        if (Nullable.GetUnderlyingType(type) is { } underlying)
        {
            return TypeName(underlying) + "?";
        }

        if (type.IsArray)
        {
            return TypeName(type.GetElementType()!) + "[]";
        }

        var name = type.Namespace is "System" || type.Namespace?.StartsWith("System.", StringComparison.Ordinal) == true ? type.Name : type.FullName ?? type.Name;
        if (!type.IsGenericType)
        {
            return name;
        }

        var plain = name[..name.IndexOf('`', StringComparison.Ordinal)];
        return $"{plain}<{string.Join(", ", type.GetGenericArguments().Select(TypeName))}>";
    }

    private static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Grains.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("Grains.sln not found above the test directory.");
    }
}
