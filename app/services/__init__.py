"""Orchestration with no HTTP types: the chat turn, auth, handoff, knowledge-base ingestion, demo seeding."""
