using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Grains.CodeGen;

/// <summary>How symbols are written into generated code.</summary>
internal static class Names
{
    public static readonly SymbolDisplayFormat TypeFormat = SymbolDisplayFormat.FullyQualifiedFormat
        .AddMiscellaneousOptions(SymbolDisplayMiscellaneousOptions.IncludeNullableReferenceTypeModifier);

    /// <summary>Ignores nullability so that annotating a parameter does not change a method's id.</summary>
    private static readonly SymbolDisplayFormat s_signatureFormat = SymbolDisplayFormat.FullyQualifiedFormat;

    public static string Type(ITypeSymbol type) => type.ToDisplayString(TypeFormat);

    public static string Identifier(string name) =>
        SyntaxFacts.GetKeywordKind(name) != SyntaxKind.None ? "@" + name : name;

    /// <summary>
    /// A C# identifier derived from a type's full name. Two names can mangle alike (A_B.IX and A.B.IX): the generator
    /// then adds <see cref="Disambiguator"/> to both.
    /// </summary>
    public static string Mangle(ITypeSymbol type) => Mangle(type.ToDisplayString(SymbolDisplayFormat.CSharpErrorMessageFormat));

    public static string Mangle(string text)
    {
        var builder = new StringBuilder(text.Length);
        foreach (var c in text)
        {
            builder.Append(char.IsLetterOrDigit(c) ? c : '_');
        }

        return builder.ToString();
    }

    /// <summary>
    /// The stable id of a method within an interface: FNV-1a over its name and parameter types. Adding methods keeps
    /// existing ids; renaming a method or changing its parameter types is a breaking contract change.
    /// </summary>
    public static int MethodId(IMethodSymbol method)
    {
        var signature = new StringBuilder(method.Name).Append('(');
        for (var i = 0; i < method.Parameters.Length; i++)
        {
            if (i > 0)
            {
                signature.Append(',');
            }

            signature.Append(method.Parameters[i].Type.ToDisplayString(s_signatureFormat));
        }

        signature.Append(')');
        return (int)Fnv1a(signature.ToString());
    }

    /// <summary>A short, stable suffix that tells apart two types whose <see cref="Mangle(ITypeSymbol)"/> names are the same.</summary>
    public static string Disambiguator(string typeName) => Fnv1a(typeName).ToString("X8", System.Globalization.CultureInfo.InvariantCulture);

    private static uint Fnv1a(string text)
    {
        unchecked
        {
            var hash = 2166136261u;
            foreach (var c in text)
            {
                hash = (hash ^ c) * 16777619u;
            }

            return hash;
        }
    }
}
