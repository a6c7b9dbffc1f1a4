using System.Text;
using Grains.Serialization;

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
}
