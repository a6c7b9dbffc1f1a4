namespace Quotas.LoadTest.Targets;

/// <summary>Where the programs the load test starts are: the built product and this tool's own assembly.</summary>
internal sealed class RepositoryPaths
{
    private RepositoryPaths(string root) => Root = root;

    public string Root { get; }

    /// <summary>The Release build of the product; measured as built, so run.sh builds it first.</summary>
    public string HostAssembly => Path.Combine(Root, "src", "Quotas.Host", "bin", "Release", "net10.0", "Quotas.Host.dll");

    /// <summary>This tool's assembly, started again with <c>serve</c> for each baseline server.</summary>
    public static string OwnAssembly => typeof(RepositoryPaths).Assembly.Location;

    /// <summary>The <c>dotnet</c> that runs this process, so that children run on the same runtime.</summary>
    public static string Dotnet =>
        Environment.ProcessPath is { } path && Path.GetFileNameWithoutExtension(path) == "dotnet" ? path : "dotnet";

    /// <summary>The repository is the first directory above this assembly that holds Grains.sln.</summary>
    public static RepositoryPaths Find()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Grains.sln")))
            {
                return new RepositoryPaths(directory.FullName);
            }
        }

        throw new StartupException($"No Grains.sln above {AppContext.BaseDirectory}: run the tool from its build output inside the repository.");
    }
}
