"""Logging setup: one JSON object per line (or plain text locally), configured once by ``create_app``.

What is logged is ids, codes, counts and timings. Customer text is never passed to a logger anywhere in
the code base (masked or not); a test plants PII in a turn and reads the captured logs to prove it.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

from app.edge.request_context import LogContext

_RESERVED = set(vars(logging.makeLogRecord({})).keys()) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, object] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
            "pid": record.process,  # which worker (kefu serve --workers N)
        }
        for key, value in vars(record).items():
            if key not in _RESERVED and not key.startswith("_"):
                out[key] = value if isinstance(value, str | int | float | bool | None) else repr(value)
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=False)


class PathWithoutQuery(logging.Filter):
    """Uvicorn's access line without the query string: a URL may carry what a user typed (``?q=...``)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str) and "?" in args[2]:
            record.args = (*args[:2], args[2].split("?", 1)[0], *args[3:])
        return True


def configure_logging(level: str = "INFO", *, json_lines: bool = True) -> None:
    """Idempotent: replaces the root handler kefu installed before, leaves others' handlers alone."""
    root = logging.getLogger()
    for h in list(root.handlers):
        if getattr(h, "_kefu", False):
            root.removeHandler(h)
    handler = logging.StreamHandler()
    handler._kefu = True  # type: ignore[attr-defined]
    handler.addFilter(LogContext())  # request_id / conversation_id of the request being served
    handler.setFormatter(
        JsonFormatter() if json_lines else logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s")
    )
    root.addHandler(handler)
    root.setLevel(level.upper())
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, PathWithoutQuery) for f in access.filters):
        access.addFilter(PathWithoutQuery())
    # faiss says which CPU build it loads ("Could not load library with AVX2 support") at INFO on import.
    for noisy in ("httpx", "httpcore", "jieba", "presidio-analyzer", "urllib3", "faiss"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    _quiet_jieba()


def _quiet_jieba() -> None:
    """jieba adds its own stderr handler and sets its logger to DEBUG when it is imported, so each of its
    lines came out twice (plain, and again as JSON through the root) and the WARNING level above was lost.
    Import it now (cheap: its dictionary loads on first use), drop its handler and keep it at WARNING."""
    try:
        import jieba
    except ImportError:  # pragma: no cover - jieba comes with the requirements
        return
    jieba.default_logger.removeHandler(jieba.log_console)
    jieba.setLogLevel(logging.WARNING)
