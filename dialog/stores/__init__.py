"""Dialog event stores: in-process (embedded default) and Redis."""
