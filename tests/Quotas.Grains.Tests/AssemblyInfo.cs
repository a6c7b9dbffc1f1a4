// Some tests start several silos on PostgreSQL and kill one: run the classes one at a time on the 2-core machines.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
