"""Who is calling: credentials, users and sessions, API keys, widget keys."""
