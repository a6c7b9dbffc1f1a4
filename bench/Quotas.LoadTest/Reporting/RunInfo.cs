using Quotas.LoadTest.Options;

namespace Quotas.LoadTest.Reporting;

/// <summary>What a report says about the run itself: when, with which options, from which command line, at which commit, on which processor.</summary>
internal sealed record RunInfo(DateTimeOffset StartedAt, LoadTestOptions Options, IReadOnlyList<string> Arguments, MachineAndCommit? Machine = null);
