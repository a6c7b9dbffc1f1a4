using System.Text;

namespace Quotas.Gateway.Tests.Sdk;

/// <summary>A response body that gives its text, then hangs (until the reader cancels) or breaks (an IOException).</summary>
internal sealed class ScriptedBody(string text, ScriptedBody.End then) : Stream
{
    private readonly MemoryStream _text = new(Encoding.UTF8.GetBytes(text));

    public enum End
    {
        Hang,
        Break,
    }

    private readonly TaskCompletionSource _hanging = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes when a read waits for text that never comes.</summary>
    public Task Hanging => _hanging.Task;

    /// <summary>The token of the read that hangs: cancelled once the reader drops the body (set as it cancels).</summary>
    public CancellationToken HangingRead { get; private set; }

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var read = _text.Read(buffer.Span);
        if (read > 0)
        {
            return read;
        }

        if (then == End.Break)
        {
            throw new IOException("The connection was reset.");
        }

        HangingRead = cancellationToken;
        _hanging.TrySetResult();
        await Task.Delay(Timeout.Infinite, cancellationToken);
        return 0;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException("Read asynchronously.");

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
