"""Knowledge bases: uploads, ingestion, versions, the writer lock, search, job recovery, curated review."""
