"""Process plumbing with no feature in it: Redis clients, metrics, readiness, logs, the job queue."""
