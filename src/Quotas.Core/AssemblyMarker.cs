namespace Quotas.Core;

/// <summary>Names this assembly in tests and benchmarks.</summary>
public static class AssemblyMarker;
