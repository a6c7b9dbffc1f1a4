using System.Diagnostics.CodeAnalysis;

namespace Quotas.Core.Scheduling;

/// <summary>
/// The pool's jobs addressed by id: blocks of <see cref="BlockSize"/> consecutive ids, each an array of slots, so that
/// finding, adding and forgetting a job is an array access (no hashing), and the jobs can be walked in id order from
/// any id (pages of a pool's jobs). Ids are issued in increasing order, so the live ones sit in a few blocks near the
/// newest; a block whose jobs are all forgotten is dropped.
/// </summary>
internal sealed class JobsById
{
    private const int BlockBits = 10;
    private const int BlockSize = 1 << BlockBits;

    /// <summary>Blocks in id order from <see cref="_first"/>: <c>_blocks[_head + i]</c> holds block number <c>_first + i</c>.</summary>
    private Block?[] _blocks = new Block?[16];
    private int _head;
    private int _length;
    private long _first;

    public int Count { get; private set; }

    public bool TryGetValue(long id, [MaybeNullWhen(false)] out Job job)
    {
        var slots = BlockOf(id)?.Slots;
        job = slots?[id & (BlockSize - 1)];
        return job is not null;
    }

    /// <summary>Adds a job under its id; an id already present is a bug in the caller.</summary>
    public void Add(Job job)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(job.Id);
        var block = BlockOf(job.Id) ?? NewBlock(job.Id >> BlockBits);
        ref var slot = ref block.Slots[job.Id & (BlockSize - 1)];
        if (slot is not null)
        {
            throw new InvalidOperationException($"Job {job.Id} is already in the pool.");
        }

        slot = job;
        block.Live++;
        Count++;
    }

    public void Remove(long id)
    {
        if (BlockOf(id) is not { } block || block.Slots[id & (BlockSize - 1)] is null)
        {
            return;
        }

        block.Slots[id & (BlockSize - 1)] = null;
        Count--;
        if (--block.Live == 0)
        {
            _blocks[_head + (int)((id >> BlockBits) - _first)] = null;
            DropEmptyEnds();
        }
    }

    /// <summary>The jobs with ids above <paramref name="after"/>, in id order.</summary>
    public IEnumerable<Job> After(long after)
    {
        if (after == long.MaxValue)
        {
            yield break;
        }

        var start = Math.Max(after + 1, _first << BlockBits);
        for (var number = start >> BlockBits; number < _first + _length; number++)
        {
            if (_blocks[_head + (int)(number - _first)] is not { } block)
            {
                continue;
            }

            var from = number == start >> BlockBits ? (int)(start & (BlockSize - 1)) : 0;
            for (var i = from; i < BlockSize; i++)
            {
                if (block.Slots[i] is { } job)
                {
                    yield return job;
                }
            }
        }
    }

    private Block? BlockOf(long id)
    {
        var index = (id >> BlockBits) - _first;
        return (ulong)index < (ulong)_length ? _blocks[_head + (int)index] : null;
    }

    /// <summary>Makes room for block <paramref name="number"/> before or after the blocks held, and creates it.</summary>
    private Block NewBlock(long number)
    {
        if (_length == 0)
        {
            _head = 0;
            _first = number;
        }

        if (number < _first)
        {
            // Only a pool rebuilt from storage adds jobs below the lowest it holds (entries come in any order).
            var shift = (int)(_first - number);
            MoveBlocks(shift, _length + shift);
            _first = number;
            _length += shift;
        }
        else if (number >= _first + _length)
        {
            var length = (int)(number - _first) + 1;
            if (_head + length > _blocks.Length)
            {
                MoveBlocks(0, length);
            }

            _length = length;
        }

        return _blocks[_head + (int)(number - _first)] = new Block();
    }

    /// <summary>
    /// Moves the blocks held to start at index <paramref name="to"/> of an array with room for <paramref name="length"/>:
    /// this one when that leaves at least half of it free at the end (so moves are rare), else one twice as large.
    /// </summary>
    private void MoveBlocks(int to, int length)
    {
        var target = length <= _blocks.Length / 2 ? _blocks : new Block?[Math.Max(length, _blocks.Length * 2)];
        Array.Copy(_blocks, _head, target, to, _length);
        if (ReferenceEquals(target, _blocks))
        {
            Array.Clear(_blocks, 0, to);
            Array.Clear(_blocks, to + _length, _blocks.Length - to - _length);
        }

        _blocks = target;
        _head = 0;
    }

    /// <summary>Drops empty blocks at both ends, so the blocks held span only from the lowest live id to the highest.</summary>
    private void DropEmptyEnds()
    {
        while (_length > 0 && _blocks[_head] is null)
        {
            _head++;
            _first++;
            _length--;
        }

        while (_length > 0 && _blocks[_head + _length - 1] is null)
        {
            _length--;
        }
    }

    private sealed class Block
    {
        public readonly Job?[] Slots = new Job?[BlockSize];
        public int Live;
    }
}
