"""The HTTP API under ``/api/v1``. Each module in ``app/api/routes/`` defines ``router: APIRouter`` for one
audience (chat = the widget, auth, agent = the console, admin, health); modules are discovered, so adding
routes never means editing this file."""

from __future__ import annotations

import importlib
import pkgutil

from fastapi import APIRouter

from app.api import routes

API_PREFIX = "/api/v1"


def build_api_router() -> tuple[APIRouter, APIRouter]:
    """(the ``/api/v1`` router, the router of root-level routes such as ``/healthz`` and ``/metrics``)."""
    api = APIRouter(prefix=API_PREFIX)
    root = APIRouter()
    for info in sorted(pkgutil.iter_modules(routes.__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{routes.__name__}.{info.name}")
        router = getattr(module, "router", None)
        if router is not None:
            api.include_router(router)
        root_router = getattr(module, "root_router", None)
        if root_router is not None:
            root.include_router(root_router)
    return api, root
