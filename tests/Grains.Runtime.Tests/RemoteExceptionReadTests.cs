using System.Text;
using System.Text.Json;
using Grains.Serialization;
using Grains.Storage;

namespace Grains.Runtime.Tests;

/// <summary>
/// A failure a peer sends is always read into an exception, whatever its bytes: one that threw instead left its call
/// unanswered (taken out of the connection's outstanding calls first) and closed the connection.
/// </summary>
public sealed class RemoteExceptionReadTests
{
    [Theory]
    [InlineData("""{"type":"System.InvalidOperationException","message":"\ud800"}""")]
    [InlineData("""{"type":"System.InvalidOperationException","message":"fine","stackTrace":"\udfff\ud800"}""")]
    [InlineData("""{"type":"System.Data.Common.DbException","message":"abstract"}""")]
    [InlineData("""not json""")]
    public void A_failure_that_cannot_be_read_as_sent_is_read_as_a_remote_error(string payload)
    {
        var error = RemoteExceptions.Read(Encoding.UTF8.GetBytes(payload));

        Assert.NotNull(error);
    }

    [Fact]
    public void A_failure_with_bytes_that_are_not_text_is_read_as_a_remote_error()
    {
        var payload = Encoding.UTF8.GetBytes("""{"type":"System.InvalidOperationException","message":"x"}""");
        payload[^3] = 0xFF; // the message's one character is not UTF-8

        Assert.IsType<RemoteGrainException>(RemoteExceptions.Read(payload));
    }

    public static TheoryData<Exception> ErrorsCallersTellApart => new()
    {
        new GrainConnectionLostException("lost", new IOException("reset")),
        new SiloUnavailableException("stopping"),
        new GrainOverloadedException("full"),
        new GrainCallTimeoutException("slow"),
        new GrainActivationTimeoutException("stuck"),
        new UnknownGrainMethodException("unknown"),
        new GrainStorageException("down", new IOException("reset"), isTransient: true),
        new GrainStateSerializationException("bad row", new JsonException("x")),
        new InconsistentStateException("moved", "etag-1"),
        new ArgumentNullException("amount", "The amount is required."),
        new ArgumentOutOfRangeException("amount", "The amount must be positive."),
        new ObjectDisposedException("pool", "The pool is gone."),
        new AggregateException("Several calls failed."),
    };

    // A call that fails on a silo the caller forwarded through (a connection lost there to a third silo, say) reaches the
    // caller as this failure: its type is what tells the gateway a retryable 503 from a 500.
    [Theory]
    [MemberData(nameof(ErrorsCallersTellApart))]
    public void A_runtime_error_keeps_its_type_and_message_across_silos(Exception error)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            RemoteExceptions.Write(writer, error);
        }

        var read = RemoteExceptions.Read(buffer.WrittenSpan);

        Assert.IsType(error.GetType(), read);
        Assert.Equal(error.Message, read.Message);
    }

    /// <summary>
    /// An exception whose constructors cannot give its message back (TypeInitializationException's string is a type
    /// name) is read as a remote error with the message as sent, not rebuilt with a garbled one.
    /// </summary>
    [Fact]
    public void An_exception_that_cannot_be_rebuilt_with_its_message_is_read_as_a_remote_error()
    {
        var payload = Encoding.UTF8.GetBytes("""{"type":"System.TypeInitializationException","message":"The quota table failed to load."}""");

        var read = Assert.IsType<RemoteGrainException>(RemoteExceptions.Read(payload));

        Assert.Equal("The quota table failed to load.", read.Message);
        Assert.Equal("System.TypeInitializationException", read.OriginalType);
    }

    /// <summary>
    /// A remote error passed on by a silo (a call's failure it forwards) keeps the type it stands for: it reached the
    /// next caller as a remote error of type RemoteGrainException, the original type lost.
    /// </summary>
    [Fact]
    public void A_remote_error_passed_on_keeps_its_original_type_and_stack()
    {
        var passedOn = new RemoteGrainException("Some.Grain.Error, Some.Assembly", "it failed", "at Grain.Run()");
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            RemoteExceptions.Write(writer, passedOn);
        }

        var read = Assert.IsType<RemoteGrainException>(RemoteExceptions.Read(buffer.WrittenSpan));

        Assert.Equal("Some.Grain.Error, Some.Assembly", read.OriginalType);
        Assert.Equal("it failed", read.Message);
        Assert.Equal("at Grain.Run()", read.RemoteStackTrace);
    }
}
