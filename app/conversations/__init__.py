"""Conversations: the event log, the event writer, live events and feeds, handoff, the customer's side."""
