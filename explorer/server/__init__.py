"""Floor 7, the server: operator settings, the run queue, jobs and their executors, memory and warm-up."""
