"""Knowledge connectors: keep a tenant's knowledge base in sync with its help-centre website or a folder
on the server's disk (a mounted document share).

- ``safety``: what a website source may fetch (http(s) only, its own hosts, no private or loopback
  address unless the operator allowed it for that source, redirects re-checked, size caps);
- ``web`` / ``folder``: list a source's pages or files and fetch only what changed (conditional requests,
  content hashes); ``extract``: a page's main content (trafilatura) as HTML for our own HTML loader;
- ``sync``: one sync run: changes -> an ingestion job -> a draft KB version -> the golden-question gate ->
  published (or left a draft) -> the run's report; ``sources``: adding, listing and changing sources;
  ``schedule``: syncs of sources that are due.
"""
