namespace Grains.CodeGen.Tests;

public sealed class GeneratorTests
{
    private const string Usings = "using System; using System.Threading.Tasks; using Grains;\n";

    [Fact]
    public void Valid_interface_and_class_generate_code_that_compiles()
    {
        var result = GeneratorHarness.Run(Usings + """
            namespace Shop;
            public interface IBase : IGrainWithStringKey { Task<int> Count(); }
            public interface ICart : IBase
            {
                Task Add(string item, int quantity);
                Task<string?> Find(string? name);
                ValueTask<int[]> Quantities(params int[] values);
                ValueTask Reset();
                [OneWay] Task Notify(string @event);
                [AlwaysInterleave, ResponseTimeout("00:00:05")] Task<bool> Ping();
            }
            public sealed class State { public int N { get; set; } }
            public sealed class CartGrain([PersistentState("cart", "Store")] IPersistentState<State> state, IGrainContext context) : Grain, ICart
            {
                public Task<int> Count() => Task.FromResult(state.State.N);
                public Task Add(string item, int quantity) => Task.CompletedTask;
                public Task<string?> Find(string? name) => Task.FromResult(name);
                public ValueTask<int[]> Quantities(params int[] values) => ValueTask.FromResult(values);
                public ValueTask Reset() => ValueTask.CompletedTask;
                public Task Notify(string @event) => Task.CompletedTask;
                public Task<bool> Ping() => Task.FromResult(context is not null);
            }
            """);

        Assert.Empty(result.GeneratorDiagnostics);
        Assert.Empty(result.CompileErrors);
        var manifest = Assert.Single(result.Generated, g => g.Contains("GrainManifestProviderAttribute"));
        Assert.Contains("\"cart\"", manifest);
        Assert.Contains("GetPersistentState<global::Shop.State>(\"cart\", \"Store\"", manifest);
        Assert.Contains(result.Generated, g => g.Contains("class Shop_ICart_Proxy"));
    }

    [Fact]
    public void A_persistent_entries_parameter_is_bound_to_its_state_and_storage()
    {
        var result = GeneratorHarness.Run(Usings + """
            namespace Queue;
            public interface IQueue : IGrainWithStringKey { Task<int> Count(); }
            public sealed record Item(string Name);
            public sealed class QueueGrain([PersistentState("items")] IPersistentEntries<Item> items) : Grain, IQueue
            {
                public Task<int> Count() => Task.FromResult(items.Entries.Count);
            }
            """);

        Assert.Empty(result.GeneratorDiagnostics);
        Assert.Empty(result.CompileErrors);
        var manifest = Assert.Single(result.Generated, g => g.Contains("GrainManifestProviderAttribute"));
        Assert.Contains("GetPersistentEntries<global::Queue.Item>(\"items\", \"Default\")", manifest);
    }

    [Theory]
    [InlineData("int Bad();", "GRAINS001")]
    [InlineData("void Bad();", "GRAINS001")]
    [InlineData("Task<T> Bad<T>();", "GRAINS003")]
    [InlineData("Task Bad(ref int x);", "GRAINS004")]
    [InlineData("Task Bad(out int x);", "GRAINS004")]
    [InlineData("[OneWay] Task<int> Bad();", "GRAINS005")]
    [InlineData("[ResponseTimeout(\"soon\")] Task Bad();", "GRAINS011")]
    [InlineData("Task Bad(System.Threading.CancellationToken token);", "GRAINS015")]
    [InlineData("int Property { get; }", "GRAINS002")]
    [InlineData("[ResponseTimeout(\"30\")] Task Bad();", "GRAINS011")]
    [InlineData("Task Bad(System.Threading.CancellationToken? token);", "GRAINS015")]
    [InlineData("Task Bad(ReadOnlySpan<byte> data);", "GRAINS017")]
    [InlineData("Task Bad(params ReadOnlySpan<int> values);", "GRAINS017")]
    [InlineData("Task Bad((int Min, int Max) range);", "GRAINS017")]
    [InlineData("Task Bad(System.Collections.Generic.List<(int, string)> pairs);", "GRAINS017")]
    [InlineData("Task<(int, int)> Bad();", "GRAINS017")]
    [InlineData("Task<int> Get(); Task<int> Twice() => Get();", "GRAINS019")]
    [InlineData("Task Put(object value);", "GRAINS017")]
    [InlineData("Task<IThing> Host();", "GRAINS017")]
    [InlineData("Task Join(IGrainWithStringKey other);", "GRAINS017")]
    [InlineData("Task Close(IDisposable resource);", "GRAINS017")]
    [InlineData("Task Read(System.IO.Stream data);", "GRAINS017")]
    public void Unsupported_grain_method_reports_a_diagnostic(string member, string id)
    {
        var result = GeneratorHarness.Run(Usings + "public interface IThing : IGrainWithStringKey { " + member + " }");

        var diagnostic = Assert.Single(result.GeneratorDiagnostics);
        Assert.Equal(id, diagnostic.Id);
        Assert.Equal(Microsoft.CodeAnalysis.DiagnosticSeverity.Error, diagnostic.Severity);
        Assert.True(diagnostic.Location.IsInSource);
        Assert.Empty(ErrorsInGeneratedCode(result));
    }

    /// <summary>
    /// Two bases may each declare the same method: neither collides alone, the interface that brings them together
    /// does, and it is told so rather than left with a proxy that does not compile.
    /// </summary>
    [Theory]
    [InlineData("public interface IA : IGrainWithStringKey { Task Run(int x); } public interface IB : IGrainWithStringKey { Task Run(int x); } public interface IC : IA, IB { }")]
    [InlineData("public interface IA : IGrainWithStringKey { Task<int> Get(); } public interface IC : IA { new Task<int> Get(); }")]
    public void Methods_that_collide_across_bases_are_reported_on_the_interface_that_joins_them(string declarations)
    {
        var result = GeneratorHarness.Run(Usings + declarations);

        var diagnostic = Assert.Single(result.GeneratorDiagnostics);
        Assert.Equal("GRAINS012", diagnostic.Id);
        Assert.Contains("IC", diagnostic.Location.SourceTree!.ToString().Substring(diagnostic.Location.SourceSpan.Start, diagnostic.Location.SourceSpan.Length), StringComparison.Ordinal);
        Assert.Empty(ErrorsInGeneratedCode(result));
    }

    [Fact]
    public void A_base_interface_that_is_not_a_grain_s_is_reported_unless_it_declares_nothing()
    {
        var result = GeneratorHarness.Run(Usings + """
            public interface IReadable { Task<int> Get(); }
            public interface IMarker { }
            public interface ICounter : IGrainWithStringKey, IReadable { }
            public interface ITagged : IGrainWithStringKey, IMarker { Task Run(); }
            """);

        var diagnostic = Assert.Single(result.GeneratorDiagnostics);
        Assert.Equal("GRAINS016", diagnostic.Id);
        Assert.Contains("IReadable", diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
        Assert.Empty(ErrorsInGeneratedCode(result));
        Assert.Contains(result.Generated, g => g.Contains("class ITagged_Proxy"));
    }

    /// <summary>A base grain interface built elsewhere (without this generator) is parsed nowhere else: its errors are reported here.</summary>
    [Fact]
    public void An_unsupported_method_of_a_base_from_another_assembly_is_reported_on_the_interface_that_inherits_it()
    {
        var contracts = GeneratorHarness.CompileReference("Contracts", "namespace Contracts; public interface IBase : Grains.IGrainWithStringKey { int Count(); }");

        var result = GeneratorHarness.Run(Usings + "public interface ICounter : Contracts.IBase { Task Add(int n); }", contracts);

        Assert.Equal(["GRAINS001"], result.Ids);
        Assert.Contains("IBase.Count", result.GeneratorDiagnostics[0].GetMessage(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
        Assert.Empty(ErrorsInGeneratedCode(result));
    }

    [Theory]
    [InlineData("public class Outer { private interface IHidden : IGrainWithStringKey { Task Run(); } }")]
    [InlineData("public class Outer { protected interface IHidden : IGrainWithStringKey { Task Run(); } }")]
    [InlineData("file interface IHidden : IGrainWithStringKey { Task Run(); }")]
    [InlineData("public interface IThing : IGrainWithStringKey { Task Run(); } public class Outer { private sealed class HiddenGrain : Grain, IThing { public Task Run() => Task.CompletedTask; } }")]
    public void A_type_generated_code_cannot_name_is_reported(string declarations)
    {
        var result = GeneratorHarness.Run(Usings + declarations);

        Assert.Equal(["GRAINS018"], result.Ids);
        Assert.Empty(ErrorsInGeneratedCode(result));
    }

    /// <summary>Collections behind interfaces, an abstract type that names its derived types, and types made by a converter do cross the wire.</summary>
    [Fact]
    public void Collection_interfaces_and_polymorphic_abstract_types_are_carried()
    {
        var result = GeneratorHarness.Run(Usings + "using System.Collections.Generic;\n" + """
            [System.Text.Json.Serialization.JsonDerivedType(typeof(Circle), "circle")]
            public abstract record Shape;
            public sealed record Circle(double Radius) : Shape;
            [System.Text.Json.Serialization.JsonConverter(typeof(MoneyConverter))]
            public interface IMoney { }
            public sealed class MoneyConverter : System.Text.Json.Serialization.JsonConverter<IMoney>
            {
                public override IMoney Read(ref System.Text.Json.Utf8JsonReader reader, Type type, System.Text.Json.JsonSerializerOptions options) => null!;
                public override void Write(System.Text.Json.Utf8JsonWriter writer, IMoney value, System.Text.Json.JsonSerializerOptions options) { }
            }
            public interface IThing : IGrainWithStringKey
            {
                Task<IReadOnlyList<int>> List(IEnumerable<string> names, IReadOnlyDictionary<string, long> amounts);
                Task<Shape> Draw(Shape shape);
                Task<IMoney> Price(System.Text.Json.Nodes.JsonNode payload);
            }
            """);

        Assert.Empty(result.Ids);
        Assert.Empty(ErrorsInGeneratedCode(result));
    }

    /// <summary>A body no grain class can override runs in the caller by design: a helper, not a grain method.</summary>
    [Theory]
    [InlineData("sealed Task<int> Twice() => Get();")]
    [InlineData("private Task<int> Twice() => Get();")]
    public void A_sealed_or_private_helper_with_a_body_is_no_grain_method_and_reports_nothing(string helper)
    {
        var result = GeneratorHarness.Run(Usings + "public interface IThing : IGrainWithStringKey { Task<int> Get(); " + helper + " }");

        Assert.Empty(result.Ids);
        Assert.Empty(ErrorsInGeneratedCode(result));
    }

    [Fact]
    public void A_partial_interface_with_an_error_reports_it_once()
    {
        var result = GeneratorHarness.Run(Usings + """
            public partial interface IThing : IGrainWithStringKey { int Bad(); }
            public partial interface IThing : IGrainWithStringKey { Task Run(); }
            """);

        Assert.Equal(["GRAINS001"], result.Ids);
    }

    [Fact]
    public void Methods_named_with_keywords_and_interfaces_whose_names_mangle_alike_compile()
    {
        var result = GeneratorHarness.Run(Usings + """
            namespace A_B { public interface IX : IGrainWithStringKey { Task @event(); Task<int> @lock(int @class); } }
            namespace A.B { public interface IX : IGrainWithStringKey { Task Run(); } }
            """);

        Assert.Empty(result.GeneratorDiagnostics);
        Assert.Empty(result.CompileErrors);
        Assert.Equal(2, result.Generated.Count(g => g.Contains("A_B_IX_") && g.Contains("_Proxy :")));
    }

    [Fact]
    public void A_constructor_parameter_with_a_default_takes_it_when_no_service_is_registered()
    {
        var result = GeneratorHarness.Run(Usings + """
            public enum Mode { Slow, Fast }
            public interface IThing : IGrainWithStringKey { Task Run(); }
            public sealed class ThingGrain(int batchSize = 10, string region = "eu", Mode mode = Mode.Fast, TimeProvider? time = null, int? cap = null,
                decimal rate = 1.23456789012345678m, double ratio = double.NaN, float scale = float.NegativeInfinity) : Grain, IThing
            {
                public Task Run() => Task.FromResult((batchSize, region, mode, time, cap, rate, ratio, scale));
            }
            """);

        Assert.Empty(result.GeneratorDiagnostics);
        Assert.Empty(result.CompileErrors);
        var manifest = Assert.Single(result.Generated, g => g.Contains("GrainManifestProviderAttribute"));
        Assert.Contains("is int service0 ? service0 : (int)(10)", manifest);
        Assert.Contains("is string service1 ? service1 : (string)(\"eu\")", manifest);
        Assert.Contains("is global::Mode service2 ? service2 : (global::Mode)(1)", manifest);
        Assert.Contains("is global::System.TimeProvider service3 ? service3 : default(global::System.TimeProvider?)", manifest);
        Assert.Contains("is int service4 ? service4 : default(int?)", manifest);
        Assert.Contains("is decimal service5 ? service5 : (decimal)(1.23456789012345678M)", manifest);
        Assert.Contains("is double service6 ? service6 : (double)(double.NaN)", manifest);
        Assert.Contains("is float service7 ? service7 : (float)(float.NegativeInfinity)", manifest);
    }

    private static IEnumerable<Microsoft.CodeAnalysis.Diagnostic> ErrorsInGeneratedCode(GeneratorResult result) =>
        result.CompileErrors.Where(e => e.Location.SourceTree?.FilePath.EndsWith(".g.cs", StringComparison.Ordinal) == true);

    [Fact]
    public void Return_type_diagnostic_names_the_method_and_the_type()
    {
        var result = GeneratorHarness.Run(Usings + "public interface IThing : IGrainWithStringKey { string Name(); }");

        var message = Assert.Single(result.GeneratorDiagnostics).GetMessage(System.Globalization.CultureInfo.InvariantCulture);

        Assert.Contains("IThing.Name", message);
        Assert.Contains("'string'", message);
        Assert.Contains("Task, Task<T>, ValueTask or ValueTask<T>", message);
    }

    [Theory]
    [InlineData("public sealed class G<T> : Grain, IThing { public Task Run() => Task.CompletedTask; }", "GRAINS010")]
    [InlineData("public sealed class G : Grain, IThing { public G() {} public G(int x) {} public Task Run() => Task.CompletedTask; }", "GRAINS007")]
    [InlineData("public sealed class G([PersistentState(\"s\")] string s) : Grain, IThing { public Task Run() => Task.CompletedTask; }", "GRAINS008")]
    [InlineData("public sealed class G([PersistentState(\"s\")] IPersistentState<S> s) : Grain, IThing { public Task Run() => Task.CompletedTask; } public sealed class S { public S(int x) {} }", "GRAINS009")]
    [InlineData("[GrainType(\"no/slash\")] public sealed class G : Grain, IThing { public Task Run() => Task.CompletedTask; }", "GRAINS014")]
    [InlineData("public sealed class G : Grain { }", "GRAINS013")]
    public void Unsupported_grain_class_reports_a_diagnostic(string declaration, string id)
    {
        var result = GeneratorHarness.Run(Usings + "public interface IThing : IGrainWithStringKey { Task Run(); }\n" + declaration);

        Assert.Contains(id, result.Ids);
    }

    [Fact]
    public void Generic_grain_interface_reports_a_diagnostic()
    {
        var result = GeneratorHarness.Run(Usings + "public interface IThing<T> : IGrainWithStringKey { Task Run(); }");

        Assert.Equal(["GRAINS006"], result.Ids);
    }

    [Fact]
    public void Grain_type_defaults_to_the_lower_case_class_name_without_the_grain_suffix()
    {
        var result = GeneratorHarness.Run(Usings + """
            public interface IThing : IGrainWithStringKey { Task Run(); }
            public sealed class ShoppingCartGrain : Grain, IThing { public Task Run() => Task.CompletedTask; }
            public interface IOther : IGrainWithStringKey { Task Run(); }
            [GrainType("custom-name")] public sealed class Other : Grain, IOther { public Task Run() => Task.CompletedTask; }
            """);

        var manifest = Assert.Single(result.Generated, g => g.Contains("GrainManifestProviderAttribute"));
        Assert.Contains("\"shoppingcart\"", manifest);
        Assert.Contains("\"custom-name\"", manifest);
        Assert.Empty(result.CompileErrors);
    }

    [Fact]
    public void Compilation_without_grains_generates_nothing()
    {
        var result = GeneratorHarness.Run("namespace Plain; public interface IPlain { void Run(); } public class C : IPlain { public void Run() {} }");

        Assert.Empty(result.Generated);
        Assert.Empty(result.GeneratorDiagnostics);
    }
}
