using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Quotas.Gateway.Auth;

/// <summary>
/// Bounds the keys that are not valid this gateway asks grains about for one client address
/// (<see cref="GatewayOptions.MaxRejectedKeysPerMinute"/>). A key's id names its grain, so every made-up key costs an
/// activation and a storage read. A check takes a place among the address's places of the minute that began with its
/// first such check, and gives it back when the key proves valid, so that checks running at once cannot pass the
/// bound together; with no place left, keys are refused unchecked until the minute ends. An IPv6 client is counted by
/// its /64, the least a network hands one host.
/// </summary>
internal sealed class RejectedKeyLimiter
{
    // Past this many addresses the oldest minute is forgotten first, so that the memory stays bounded and those who
    // come most recently are still counted.
    private const int MaxAddresses = 100_000;

    private readonly GatewayOptions _options;
    private readonly TimeProvider _time;
    private readonly Dictionary<UInt128, Window> _windows = [];

    // The windows in the order they began (a window begun again is queued again; its older entry is then skipped).
    private readonly Queue<(UInt128 Source, long Start)> _byStart = new();
    private long _rejected;
    private long _refusedUnchecked;

    public RejectedKeyLimiter(GatewayOptions options, TimeProvider time)
    {
        _options = options;
        _time = time;
    }

    /// <summary>Keys the grains answered were not valid.</summary>
    public long Rejected => Interlocked.Read(ref _rejected);

    /// <summary>Keys refused without asking a grain, their address having no place left.</summary>
    public long RefusedUnchecked => Interlocked.Read(ref _refusedUnchecked);

    /// <summary>
    /// Takes a place for checking one key from <paramref name="address"/>: false, with how long until a place frees,
    /// when none is left. The place is kept unless the key proves valid (<see cref="GiveBack"/>).
    /// </summary>
    public bool TryTake(IPAddress? address, out Place? place, out TimeSpan wait)
    {
        place = null;
        wait = TimeSpan.Zero;
        if (_options.MaxRejectedKeysPerMinute == 0 || Source(address) is not { } source)
        {
            return true;
        }

        var now = _time.GetTimestamp();
        lock (_windows)
        {
            if (!_windows.TryGetValue(source, out var window) || Ended(window.Start, now))
            {
                ForgetEnded(now);
                window = new Window(now, 0);
                _byStart.Enqueue((source, now));
            }
            else if (window.Taken >= _options.MaxRejectedKeysPerMinute)
            {
                _refusedUnchecked++;
                wait = _time.GetElapsedTime(now, window.Start + Minute);
                return false;
            }

            _windows[source] = window with { Taken = window.Taken + 1 };
            place = new Place(source, window.Start);
            return true;
        }
    }

    /// <summary>The key checked in <paramref name="place"/> was valid, or was not checked after all: it counts nothing.</summary>
    public void GiveBack(Place? place)
    {
        if (place is not { } taken)
        {
            return;
        }

        lock (_windows)
        {
            if (_windows.TryGetValue(taken.Source, out var window) && window.Start == taken.Start && window.Taken > 0)
            {
                _windows[taken.Source] = window with { Taken = window.Taken - 1 };
            }
        }
    }

    /// <summary>Counts a key that its grain answered is not valid (its place stays taken).</summary>
    public void CountRejected() => Interlocked.Increment(ref _rejected);

    private long Minute => _time.TimestampFrequency * 60;

    private bool Ended(long start, long now) => now - start >= Minute;

    /// <summary>Forgets the windows that have ended, and the oldest ones while there are too many.</summary>
    private void ForgetEnded(long now)
    {
        while (_byStart.TryPeek(out var oldest) && (Ended(oldest.Start, now) || _windows.Count >= MaxAddresses))
        {
            _byStart.Dequeue();
            if (_windows.TryGetValue(oldest.Source, out var window) && window.Start == oldest.Start)
            {
                _windows.Remove(oldest.Source);
            }
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
        address.TryWriteBytes(bytes, out _);
        return address.AddressFamily == AddressFamily.InterNetwork
            ? new UInt128(0, BinaryPrimitives.ReadUInt32BigEndian(bytes))
            : new UInt128(BinaryPrimitives.ReadUInt64BigEndian(bytes), ulong.MaxValue);
    }

    /// <summary>A place taken among an address's checks of the minute that began at <see cref="Start"/>.</summary>
    internal readonly record struct Place(UInt128 Source, long Start);

    private readonly record struct Window(long Start, int Taken);
}
