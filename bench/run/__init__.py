"""Where and how cells run: the driver (expand, plan, execute, store), executors, workers, device slots."""
