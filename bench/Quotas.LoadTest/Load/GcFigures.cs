namespace Quotas.LoadTest.Load;

/// <summary>
/// A server process's garbage collector so far: bytes allocated, collections of any generation, and the time its
/// threads were paused for them. Read before and after a step; the difference is what the step cost.
/// </summary>
internal readonly record struct GcFigures(long AllocatedBytes, long Collections, TimeSpan Paused)
{
    public static GcFigures operator -(GcFigures after, GcFigures before) =>
        new(after.AllocatedBytes - before.AllocatedBytes, after.Collections - before.Collections, after.Paused - before.Paused);

    /// <summary>Two processes' figures together (a target made of several server processes).</summary>
    public static GcFigures operator +(GcFigures left, GcFigures right) =>
        new(left.AllocatedBytes + right.AllocatedBytes, left.Collections + right.Collections, left.Paused + right.Paused);
}
