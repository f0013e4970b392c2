"""``create_app(settings)``: the FastAPI application. Adapters are built once, in the lifespan."""

from __future__ import annotations

from fastapi import FastAPI

from app.errors import install_error_handlers
from app.settings import Settings


def create_app(settings: Settings) -> FastAPI:
    app = FastAPI(title="kefu", version="0.1.0", docs_url="/docs", openapi_url="/openapi.json")
    app.state.settings = settings
    install_error_handlers(app)

    @app.get("/healthz", tags=["health"])
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app
