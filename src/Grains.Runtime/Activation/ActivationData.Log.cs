using Microsoft.Extensions.Logging;

namespace Grains.Activation;

internal sealed partial class ActivationData
{
    [LoggerMessage(EventId = 100, Level = LogLevel.Debug, Message = "Activated grain {GrainId}")]
    private static partial void LogActivated(ILogger logger, GrainId grainId);

    [LoggerMessage(EventId = 101, Level = LogLevel.Warning, Message = "Activation of grain {GrainId} failed; its queued calls fail with the same error")]
    private static partial void LogActivationFailed(ILogger logger, Exception exception, GrainId grainId);

    [LoggerMessage(EventId = 102, Level = LogLevel.Debug, Message = "Deactivating grain {GrainId}: {Reason}")]
    private static partial void LogDeactivating(ILogger logger, GrainId grainId, DeactivationReason reason);

    [LoggerMessage(EventId = 103, Level = LogLevel.Warning, Message = "Deactivation of grain {GrainId} did not complete cleanly")]
    private static partial void LogDeactivationHookFailed(ILogger logger, Exception exception, GrainId grainId);

    [LoggerMessage(EventId = 104, Level = LogLevel.Warning, Message = "One-way call {Method} to grain {GrainId} failed")]
    private static partial void LogOneWayCallFailed(ILogger logger, Exception exception, string method, GrainId grainId);

    [LoggerMessage(EventId = 105, Level = LogLevel.Warning, Message = "A timer callback of grain {GrainId} failed")]
    private static partial void LogTimerFailed(ILogger logger, Exception exception, GrainId grainId);

    [LoggerMessage(EventId = 106, Level = LogLevel.Error, Message = "Unhandled exception in a work item of grain {GrainId} (an async void method?)")]
    private static partial void LogWorkItemFailed(ILogger logger, Exception exception, GrainId grainId);

    [LoggerMessage(EventId = 107, Level = LogLevel.Warning, Message = "Call {Method} to grain {GrainId} was not run: its caller's deadline passed while it waited")]
    private static partial void LogCallNotRun(ILogger logger, string method, GrainId grainId);

    [LoggerMessage(EventId = 108, Level = LogLevel.Warning, Message = "Grain {GrainId} has {Waiting} calls waiting, the most it queues (Grains:MaxQueuedCallsPerActivation): it refuses calls while it has that many")]
    private static partial void LogShedding(ILogger logger, GrainId grainId, int waiting);

    [LoggerMessage(EventId = 109, Level = LogLevel.Information, Message = "Grain {GrainId} has worked half its queue off, after refusing {Refused} calls")]
    private static partial void LogSheddingEnded(ILogger logger, GrainId grainId, long refused);

    [LoggerMessage(EventId = 110, Level = LogLevel.Warning, Message = "Grain {GrainId} ended with {Writes} state writes under way; its calls wait for them, so that its next activation reads what they store")]
    private static partial void LogWaitingForWrites(ILogger logger, GrainId grainId, int writes);

    [LoggerMessage(EventId = 111, Level = LogLevel.Warning, Message = "Grain {GrainId} left the silo with {Writes} state writes still under way after Grains:DeactivationTimeout; should one store after its next activation read, that activation's next write conflicts and deactivates it, and the call after reads the state again")]
    private static partial void LogWritesOutlivedActivation(ILogger logger, GrainId grainId, int writes);

    [LoggerMessage(EventId = 112, Level = LogLevel.Warning, Message = "The activation of grain {GrainId} that timed out ended at last, with this error; its services are released now")]
    private static partial void LogAbandonedActivationFailed(ILogger logger, Exception exception, GrainId grainId);
}
