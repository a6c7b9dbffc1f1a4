using System.Diagnostics;

namespace Quotas.LoadTest.Reporting;

/// <summary>
/// What a report needs so that a figure can be traced back: the commit measured (with "-modified" when tracked files
/// differ from it) and the processor it ran on. Either is null when it cannot be read (no git, no /proc).
/// </summary>
internal sealed record MachineAndCommit(string? Commit, string? CpuModel)
{
    public static MachineAndCommit Read(string repositoryRoot) => new(CommitOf(repositoryRoot), CpuModelOf(File.Exists(CpuInfo) ? File.ReadLines(CpuInfo) : []));

    private const string CpuInfo = "/proc/cpuinfo";

    /// <summary>The first "model name" of a /proc/cpuinfo; null when it has none (some ARM kernels do not say).</summary>
    internal static string? CpuModelOf(IEnumerable<string> cpuInfoLines)
    {
        foreach (var line in cpuInfoLines)
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0 && line[..colon].Trim() == "model name")
            {
                var model = line[(colon + 1)..].Trim();
                return model.Length > 0 ? model : null;
            }
        }

        return null;
    }

    private static string? CommitOf(string root)
    {
        var head = Git(root, "rev-parse --short=12 HEAD");
        if (head is null)
        {
            return null;
        }

        var changes = Git(root, "status --porcelain --untracked-files=no");
        return changes is { Length: > 0 } ? head + "-modified" : head;
    }

    private static string? Git(string root, string arguments)
    {
        try
        {
            using var git = Process.Start(new ProcessStartInfo("git", $"-C \"{root}\" {arguments}")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            });
            if (git is null)
            {
                return null;
            }

            var output = git.StandardOutput.ReadToEnd().Trim();
            git.WaitForExit();
            return git.ExitCode == 0 ? output : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null; // no git on this machine
        }
    }
}
