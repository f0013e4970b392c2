"""The agent console's services: the queue, an agent's actions, canned and curated answers, suggestions, PII reveal."""
