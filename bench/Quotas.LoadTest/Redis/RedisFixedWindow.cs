namespace Quotas.LoadTest.Redis;

/// <summary>
/// The usual Redis rate limiter: one counter per tenant and window, <c>INCR rl:{tenant}:{window}</c>, and an
/// <c>EXPIRE</c> of one window when the INCR created the counter, so that old windows clean themselves up.
/// </summary>
internal sealed class RedisFixedWindow(RespConnection redis, long limit, int windowSeconds, TimeProvider time)
{
    public async Task<bool> TryHitAsync(string tenant)
    {
        var window = time.GetUtcNow().ToUnixTimeSeconds() / windowSeconds;
        var key = $"rl:{tenant}:{window}";
        var count = (await redis.SendAsync(RespCommand.Incr(key))).ExpectInteger();
        if (count == 1)
        {
            (await redis.SendAsync(RespCommand.Expire(key, windowSeconds))).ExpectInteger();
        }

        return count <= limit;
    }
}
