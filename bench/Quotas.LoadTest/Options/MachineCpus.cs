namespace Quotas.LoadTest.Options;

/// <summary>The machine's online CPUs and those the generator may run on; either is null where Linux does not say.</summary>
internal sealed record MachineCpus(CpuList? Online, CpuList? Generator)
{
    public static MachineCpus Current() => new(CpuList.Online(), CpuList.OfThisProcess());
}
