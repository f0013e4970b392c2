"""``create_app(settings)``: the FastAPI application. Adapters are built once, in the lifespan."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from app.api import build_api_router
from app.container import Container
from app.edge.limits import BodyLimitMiddleware, HeaderLimitMiddleware, RateLimitMiddleware
from app.edge.middleware import ChatEdgeMiddleware
from app.edge.request_context import RequestContextMiddleware
from app.edge.security_headers import SecurityHeadersMiddleware
from app.errors import install_error_handlers
from app.runtime.logs import configure_logging
from app.settings import Settings


def create_app(settings: Settings, container: Container | None = None) -> FastAPI:
    """The app. With ``container`` (tests, benchmarks) the lifespan uses it and leaves closing it to the
    caller; without, the lifespan builds one from ``settings`` and closes it on shutdown."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if container is not None:
            app.state.container = container
            yield
            return
        from app.edge.serving import limit_model_threads
        from app.wiring import build_container

        limit_model_threads(settings.server.model_threads)
        built = await build_container(settings)
        app.state.container = built
        try:
            yield
        finally:
            await built.aclose()

    configure_logging(settings.log_level, json_lines=settings.log_json)
    app = FastAPI(
        title="kefu",
        version="0.1.0",
        summary="Enterprise RAG customer service (客服): chat widget API, agent and admin APIs.",
        # Outside ENVIRONMENT=local there is no public schema; /docs is app.api.routes.docs (assets from
        # the installed swagger-ui-bundle-v2 package, no CDN), local only too.
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json" if settings.environment == "local" else None,
        lifespan=lifespan,
    )
    app.state.settings = settings
    if container is not None:
        app.state.container = container
    install_error_handlers(app)
    api, root = build_api_router()
    app.include_router(api)
    app.include_router(root)
    # Outermost last: request id -> security headers -> header cap -> chat CORS + body cap -> body cap ->
    # rate limits.
    app.add_middleware(RateLimitMiddleware, config=settings.rate_limit)
    app.add_middleware(
        BodyLimitMiddleware,
        max_body_bytes=settings.edge.max_body_bytes,
        exempt=settings.edge.body_limit_exempt,
    )
    app.add_middleware(ChatEdgeMiddleware, max_body_bytes=settings.max_chat_body_bytes)
    app.add_middleware(HeaderLimitMiddleware, max_header_bytes=settings.edge.max_header_bytes)
    if settings.edge.security_headers:
        app.add_middleware(SecurityHeadersMiddleware)
    app.add_middleware(RequestContextMiddleware)
    return app


def app_from_environment() -> FastAPI:
    """The app of one worker process (``kefu serve --workers N``: uvicorn's factory mode calls this in each
    worker): settings read from the environment, adapters built by that worker's own lifespan."""
    from app.settings import get_settings

    return create_app(get_settings())
