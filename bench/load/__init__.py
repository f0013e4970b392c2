"""Load and fault tooling: an OpenAI-compatible model-server stand-in (``llm_stub``) and the load
generator behind ``kefu bench load`` (``runner``). Loopback only."""
