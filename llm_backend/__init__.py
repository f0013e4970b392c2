"""llm_backend package."""
