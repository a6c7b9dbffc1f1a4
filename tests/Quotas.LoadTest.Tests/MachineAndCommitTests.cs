using Quotas.LoadTest.Reporting;

namespace Quotas.LoadTest.Tests;

public sealed class MachineAndCommitTests
{
    [Fact]
    public void The_processor_is_the_first_model_name_of_cpuinfo()
    {
        string[] cpuInfo = ["processor\t: 0", "vendor_id\t: AuthenticAMD", "model name\t: AMD EPYC 9R14 96-Core Processor", "processor\t: 1", "model name\t: other"];

        Assert.Equal("AMD EPYC 9R14 96-Core Processor", MachineAndCommit.CpuModelOf(cpuInfo));
        Assert.Null(MachineAndCommit.CpuModelOf(["processor\t: 0", "Features\t: fp asimd"]));
    }

    [Fact]
    public void The_commit_measured_is_read_from_the_repository()
    {
        var root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "Grains.sln")))
        {
            root = Path.GetDirectoryName(root.TrimEnd(Path.DirectorySeparatorChar))!;
        }

        var commit = MachineAndCommit.Read(root).Commit;

        // A checkout has a commit to name; a tree without one (a source archive) names none rather than a wrong one.
        if (Directory.Exists(Path.Combine(root, ".git")))
        {
            Assert.NotNull(commit);
            Assert.Matches("^[0-9a-f]{12}(-modified)?$", commit);
        }
        else
        {
            Assert.Null(commit);
        }
    }
}
