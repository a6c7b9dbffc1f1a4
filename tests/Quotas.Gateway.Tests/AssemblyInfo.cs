// Each test class starts silos (some on PostgreSQL): run the classes one at a time on the 2-core machines.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
