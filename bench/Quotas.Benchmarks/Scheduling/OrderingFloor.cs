namespace Quotas.Benchmarks.Scheduling;

/// <summary>
/// An estimate of the floor under a weighted-fair scheduler of the benchmark's shape: only the order, plainly
/// implemented, nothing else. 10,000 tenants
/// with weights 1 to 3 hold 100 queued items each (ints with fixed random priorities, one
/// <see cref="PriorityQueue{TElement, TPriority}"/> per tenant), and one indexed binary heap orders the tenants by
/// allocation / weight, ties going to the tenant served longest ago. A cycle does what
/// <see cref="SchedulingThroughput.FairShareDecisions()"/> does to the order: 64 leases (top tenant, its best item,
/// allocate, re-sift), then 64 completions (deallocate, re-sift) each followed by a new item for the same tenant.
/// <para>
/// Left out on purpose, since this measures the order alone: job records, the job index, idempotency keys, finished-job
/// retention, admission against capacity and guarantees, validation and the result objects an API returns. What the
/// scheduler pays above this floor is that bookkeeping.
/// </para>
/// </summary>
internal sealed class OrderingFloor
{
    private const int Batch = 64;
    private const long Demand = 100;

    private readonly PriorityQueue<int, long>[] _queues;
    private readonly long[] _allocated;
    private readonly double[] _weights;
    private readonly double[] _shares;
    private readonly long[] _servedStamps;
    private readonly int[] _heap;
    private readonly int[] _positions;
    private readonly int[] _leasedTenants = new int[Batch];
    private readonly int[] _leasedItems = new int[Batch];
    private long _clock;
    private long _nextPriority = 1;

    public OrderingFloor(int tenants, int itemsPerTenant, int seed)
    {
        var random = new Random(seed);
        _queues = new PriorityQueue<int, long>[tenants];
        _allocated = new long[tenants];
        _weights = new double[tenants];
        _shares = new double[tenants];
        _servedStamps = new long[tenants];
        _heap = new int[tenants];
        _positions = new int[tenants];
        for (var t = 0; t < tenants; t++)
        {
            _weights[t] = 1 + (t % 3);
            _queues[t] = new PriorityQueue<int, long>(itemsPerTenant * 2);
            for (var i = 0; i < itemsPerTenant; i++)
            {
                _queues[t].Enqueue(i, random.NextInt64());
            }

            _heap[t] = t;
            _positions[t] = t;
        }
    }

    /// <summary>Runs <paramref name="decisions"/> cycles (a multiple of 64); the sum only keeps the work observable.</summary>
    public long Run(int decisions)
    {
        long sum = 0;
        for (var done = 0; done < decisions; done += Batch)
        {
            for (var i = 0; i < Batch; i++)
            {
                var tenant = _heap[0];
                _leasedTenants[i] = tenant;
                _leasedItems[i] = _queues[tenant].Dequeue();
                _allocated[tenant] += Demand;
                _servedStamps[tenant] = ++_clock;
                Resift(tenant);
            }

            for (var i = 0; i < Batch; i++)
            {
                var tenant = _leasedTenants[i];
                _allocated[tenant] -= Demand;
                Resift(tenant);
                _nextPriority = (_nextPriority * 6364136223846793005) + 1442695040888963407;
                _queues[tenant].Enqueue(_leasedItems[i], _nextPriority);
                sum += _leasedItems[i];
            }
        }

        return sum;
    }

    private bool Before(int a, int b) =>
        _shares[a] != _shares[b] ? _shares[a] < _shares[b] : _servedStamps[a] < _servedStamps[b];

    private void Resift(int tenant)
    {
        _shares[tenant] = _allocated[tenant] / _weights[tenant];
        var index = _positions[tenant];
        while (index > 0 && Before(tenant, _heap[(index - 1) / 2]))
        {
            Swap(index, (index - 1) / 2);
            index = (index - 1) / 2;
        }

        while (true)
        {
            var child = (2 * index) + 1;
            if (child >= _heap.Length)
            {
                break;
            }

            if (child + 1 < _heap.Length && Before(_heap[child + 1], _heap[child]))
            {
                child++;
            }

            if (!Before(_heap[child], tenant))
            {
                break;
            }

            Swap(index, child);
            index = child;
        }
    }

    private void Swap(int a, int b)
    {
        (_heap[a], _heap[b]) = (_heap[b], _heap[a]);
        _positions[_heap[a]] = a;
        _positions[_heap[b]] = b;
    }
}
