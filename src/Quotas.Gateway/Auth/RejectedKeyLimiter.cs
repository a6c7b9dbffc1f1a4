using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Quotas.Gateway.Auth;

/// <summary>
/// Bounds the keys that are not valid this gateway asks grains about for one client address
/// (<see cref="GatewayOptions.MaxRejectedKeysPerMinute"/>). A key's id names its grain, so every made-up key costs an
/// activation and a storage read; past the bound, the address's keys that this gateway has not verified before are
/// refused unchecked until a minute after its first rejected key. Keys it verified before are still checked, so that
/// clients sharing the address (behind NAT or a proxy) keep working with the keys they use. An IPv6 client is counted
/// by its /64, the least a network hands one host.
/// </summary>
internal sealed class RejectedKeyLimiter
{
    // Past this many addresses, those whose minute has ended are forgotten; should every one still be within its
    // minute, all are (the bound is then lifted for a minute rather than the gateway's memory).
    private const int MaxAddresses = 100_000;

    private readonly GatewayOptions _options;
    private readonly TimeProvider _time;
    private readonly Dictionary<UInt128, Window> _windows = [];
    private long _rejected;
    private long _refusedUnchecked;

    public RejectedKeyLimiter(GatewayOptions options, TimeProvider time)
    {
        _options = options;
        _time = time;
    }

    /// <summary>Keys the grains answered were not valid.</summary>
    public long Rejected => Interlocked.Read(ref _rejected);

    /// <summary>Keys refused without asking a grain, their address being over the bound.</summary>
    public long RefusedUnchecked => Interlocked.Read(ref _refusedUnchecked);

    /// <summary>How long until the address's new keys are checked again; null when they are checked now.</summary>
    public TimeSpan? RefusesFor(IPAddress? address)
    {
        if (_options.MaxRejectedKeysPerMinute == 0 || Source(address) is not { } source)
        {
            return null;
        }

        var now = _time.GetTimestamp();
        lock (_windows)
        {
            if (!_windows.TryGetValue(source, out var window) || window.Count < _options.MaxRejectedKeysPerMinute || Ended(window, now))
            {
                return null;
            }

            _refusedUnchecked++;
            return _time.GetElapsedTime(now, window.Start + Minute);
        }
    }

    /// <summary>Counts a key from the address that its grain answered is not valid.</summary>
    public void Reject(IPAddress? address)
    {
        Interlocked.Increment(ref _rejected);
        if (_options.MaxRejectedKeysPerMinute == 0 || Source(address) is not { } source)
        {
            return;
        }

        var now = _time.GetTimestamp();
        lock (_windows)
        {
            if (_windows.TryGetValue(source, out var window) && !Ended(window, now))
            {
                _windows[source] = window with { Count = window.Count + 1 };
                return;
            }

            if (_windows.Count >= MaxAddresses)
            {
                Forget(now);
            }

            _windows[source] = new Window(now, 1);
        }
    }

    private long Minute => _time.TimestampFrequency * 60;

    private bool Ended(Window window, long now) => now - window.Start >= Minute;

    private void Forget(long now)
    {
        foreach (var (source, window) in _windows)
        {
            if (Ended(window, now))
            {
                _windows.Remove(source);
            }
        }

        if (_windows.Count >= MaxAddresses)
        {
            _windows.Clear();
        }
    }

    /// <summary>Whom an address stands for: an IPv4 host, or an IPv6 /64; null when the connection has no address.</summary>
    internal static UInt128? Source(IPAddress? address)
    {
        if (address is null)
        {
            return null;
        }

        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        Span<byte> bytes = stackalloc byte[16];
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            address.TryWriteBytes(bytes, out _);
            return new UInt128(0, BinaryPrimitives.ReadUInt32BigEndian(bytes));
        }

        address.TryWriteBytes(bytes, out _);
        return new UInt128(BinaryPrimitives.ReadUInt64BigEndian(bytes), ulong.MaxValue);
    }

    private readonly record struct Window(long Start, int Count);
}
