"""Tables and figures from stored records: leaderboards, plots, accuracy–sparsity frontiers."""
