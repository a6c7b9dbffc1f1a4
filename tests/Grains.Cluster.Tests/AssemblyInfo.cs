// Cluster tests start several silos each and measure failover against wall-clock bounds: run them one at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
