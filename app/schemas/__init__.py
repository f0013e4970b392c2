"""Public API schemas (``XCreate`` in, ``XPublic`` out). ORM models never leave the API."""
