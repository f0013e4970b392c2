"""How the app is served (``kefu serve``): uvicorn with the edge settings applied.

Shutdown (SIGTERM / SIGINT): uvicorn stops accepting connections; a customer turn already streaming keeps
going until it ends or ``EDGE__SHUTDOWN_GRACE_S`` passes (the chat stream route gives its SSE response that
grace); long-lived live-event streams close at once (their clients reconnect to another replica). Uvicorn
waits a few seconds longer than the grace for the connections to close, then the lifespan closes the
container (database pool, Redis clients, model client).
"""

from __future__ import annotations

from typing import Any

from app.settings import Settings

# Uvicorn's own deadline is the streams' grace plus this, so the streams' grace always runs out first.
SHUTDOWN_MARGIN_S = 5


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    return {
        "log_config": None,  # app.logs configures logging (JSON lines)
        "timeout_graceful_shutdown": int(settings.edge.shutdown_grace_s) + SHUTDOWN_MARGIN_S,
        # Behind the TLS proxy: its X-Forwarded-For / X-Forwarded-Proto are believed from these addresses
        # only (client address for the rate limits; https for HSTS).
        "proxy_headers": True,
        "forwarded_allow_ips": settings.edge.trusted_proxies,
        "h11_max_incomplete_event_size": settings.edge.max_header_bytes,
    }


def server(app: Any, settings: Settings, *, host: str, port: int) -> Any:
    """A ``uvicorn.Server`` (``await server.serve()`` inside a running loop: it handles the signals)."""
    import uvicorn

    return uvicorn.Server(uvicorn.Config(app, host=host, port=port, **uvicorn_options(settings)))


def serve(app: Any, settings: Settings, *, host: str, port: int) -> None:
    import uvicorn

    uvicorn.run(app, host=host, port=port, **uvicorn_options(settings))
