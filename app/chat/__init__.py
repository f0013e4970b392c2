"""One customer chat turn: the turn itself, its records and types, timing, tenant trackers, the query memo."""
