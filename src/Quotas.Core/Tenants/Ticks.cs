namespace Quotas.Core.Tenants;

internal static class Ticks
{
    /// <summary>
    /// ⌈<paramref name="dividend"/> / <paramref name="divisor"/>⌉ for a positive divisor, 0 for a dividend of 0 or less,
    /// without the overflow of <c>(dividend + divisor - 1) / divisor</c> near <see cref="long.MaxValue"/> (a token
    /// bucket's scaled capacity may be that large).
    /// </summary>
    public static long CeilingDivide(long dividend, long divisor) => dividend <= 0 ? 0 : ((dividend - 1) / divisor) + 1;
}
