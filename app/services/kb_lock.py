"""One writer at a time per tenant knowledge base: building a draft, publishing and rolling back read the
current versions and write a new one, so two of them interleaved would lose a change (two uploads, each
building a draft from the same base, the second superseding the first without its documents).

- With Redis (``REDIS_URL``: several app replicas and workers): a Redis lock under the deployment's
  namespace, with an expiry so a crashed holder cannot block the tenant forever.
- Without (the embedded default, and the CLI beside it on one host): an exclusive ``flock`` on a file under
  ``data_dir/locks``. ``flock`` locks belong to the open file, so two coroutines of one process exclude
  each other as well as two processes do. The blocking wait runs in a worker thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from app.errors import AppError, ErrorCode

_SAFE = re.compile(r"[^A-Za-z0-9_-]")
# Longest a holder may keep the lock (a whole KB rebuild with the slow embedder fits); then it expires.
HOLD_S = 2 * 3600
WAIT_S = 3 * 3600


@contextlib.asynccontextmanager
async def kb_write_lock(
    *, redis: Any, namespace: str, data_dir: Path, tenant_id: str, wait_s: float = WAIT_S
) -> AsyncIterator[None]:
    """Hold the tenant's KB write lock for the ``async with`` body. Raises ``AppError(CONFLICT)`` when it
    cannot be had within ``wait_s``."""
    key = _SAFE.sub("_", tenant_id)
    if redis is not None:
        lock = redis.lock(f"{namespace}:kb-lock:{key}", timeout=HOLD_S, blocking_timeout=wait_s)
        if not await lock.acquire():
            raise AppError(ErrorCode.CONFLICT, "another knowledge-base change is running; try again")
        try:
            yield
        finally:
            with contextlib.suppress(Exception):  # expired meanwhile: nothing left to release
                await lock.release()
        return
    path = data_dir / "locks" / f"kb-{key}.lock"
    fd = await asyncio.to_thread(_open_locked, path, wait_s)
    if fd is None:
        raise AppError(ErrorCode.CONFLICT, "another knowledge-base change is running; try again")
    try:
        yield
    finally:
        await asyncio.to_thread(_unlock, fd)


def _open_locked(path: Path, wait_s: float) -> int | None:
    import time

    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    deadline = time.monotonic() + wait_s
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return fd
        except BlockingIOError:
            if time.monotonic() >= deadline:
                os.close(fd)
                return None
            time.sleep(0.05)


def _unlock(fd: int) -> None:
    try:
        fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
