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
    for noisy in ("httpx", "httpcore", "jieba", "presidio-analyzer", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
