namespace Quotas.Host.Tests;

/// <summary>Files of the repository the tests run from (the README, the deployment files).</summary>
internal static class RepositoryFiles
{
    public static string Root()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Grains.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"No Grains.sln above {AppContext.BaseDirectory}; run the tests from the repository.");
    }

    public static string Read(string relativePath) => File.ReadAllText(Path.Combine(Root(), relativePath));
}
