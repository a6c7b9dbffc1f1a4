namespace Quotas.Core.Tests;

public sealed class ProjectSetupTests
{
    [Fact]
    public void Core_assembly_has_no_runtime_dependency()
    {
        var references = typeof(Quotas.Core.AssemblyMarker).Assembly.GetReferencedAssemblies().Select(a => a.Name);

        Assert.DoesNotContain(references, name => name!.StartsWith("Grains", StringComparison.Ordinal));
    }
}
