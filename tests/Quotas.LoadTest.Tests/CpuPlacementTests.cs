using Quotas.LoadTest.Options;

namespace Quotas.LoadTest.Tests;

public sealed class CpuPlacementTests
{
    private static readonly MachineCpus s_twoCpusGeneratorOnOne = new(Cpus("0-1"), Cpus("1"));

    [Theory]
    [InlineData("0", "0")]
    [InlineData("0-2", "0-2")]
    [InlineData("3,0-1", "0-1,3")]
    [InlineData("0,1,2,5", "0-2,5")]
    public void A_cpu_list_is_read_and_written_as_taskset_takes_it(string text, string written)
    {
        Assert.Equal(written, Cpus(text).ToString());
    }

    [Theory]
    [InlineData("")]
    [InlineData("x")]
    [InlineData("2-1")]
    [InlineData("0-")]
    [InlineData("-1")]
    [InlineData("1-2-3")]
    public void A_wrong_cpu_list_says_how_to_write_one(string text)
    {
        Assert.Null(CpuList.TryParse(text, out var error));
        Assert.Contains("e.g. 0 or 0-2", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Servers_on_cpus_of_their_own_are_taken()
    {
        var errors = new List<string>();

        var options = OptionParser.Parse(["--server-cpus", "0"], errors, s_twoCpusGeneratorOnOne);

        Assert.Empty(errors);
        Assert.Equal("0", options!.ServerCpus!.ToString());
        Assert.Equal("1", options.GeneratorCpus!.ToString());
    }

    [Fact]
    public void Servers_on_the_generators_cpus_are_refused_with_the_command_that_separates_them()
    {
        var errors = new List<string>();

        var options = OptionParser.Parse(["--server-cpus", "0"], errors, new MachineCpus(Cpus("0-1"), Cpus("0-1")));

        Assert.Null(options);
        Assert.Contains("taskset -c 1", Assert.Single(errors), StringComparison.Ordinal);
    }

    [Fact]
    public void Servers_on_cpus_the_machine_does_not_have_are_refused()
    {
        var errors = new List<string>();

        Assert.Null(OptionParser.Parse(["--server-cpus", "0,7"], errors, s_twoCpusGeneratorOnOne));
        Assert.Equal("The server CPUs 0,7 are not all online; this machine has CPUs 0-1.", Assert.Single(errors));
    }

    [Fact]
    public void Servers_on_every_cpu_leave_none_to_the_generator_and_are_refused()
    {
        var errors = new List<string>();

        Assert.Null(OptionParser.Parse(["--server-cpus", "0-1"], errors, new MachineCpus(Cpus("0-1"), Cpus("0-1"))));
        Assert.Contains("leave at least one to the generator", Assert.Single(errors), StringComparison.Ordinal);
    }

    [Fact]
    public void Shared_cores_pins_nothing_and_contradicts_server_cpus()
    {
        var errors = new List<string>();
        Assert.Null(OptionParser.Parse(["--shared-cores"], errors, s_twoCpusGeneratorOnOne)!.ServerCpus);
        Assert.Empty(errors);

        Assert.Null(OptionParser.Parse(["--shared-cores", "--server-cpus", "0"], errors, s_twoCpusGeneratorOnOne));
        Assert.Contains("contradict", Assert.Single(errors), StringComparison.Ordinal);
    }

    private static CpuList Cpus(string text) => CpuList.TryParse(text, out _)!;
}
