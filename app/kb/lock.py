"""One writer at a time per tenant knowledge base: building a draft, publishing and rolling back read the
current versions and write a new one, so two of them interleaved would lose a change (two uploads, each
building a draft from the same base, the second superseding the first without its documents).

- With Redis (``REDIS_URL``: several app replicas and workers): a Redis lock under the deployment's
  namespace, held as a short lease (``LEASE_S``) that the holder renews every ``LEASE_S / 3`` for as long
  as it holds it, so a holder killed mid-build (SIGKILL, OOM) frees the tenant within ``LEASE_S``. A holder
  that cannot renew (Redis away for a whole lease) logs it as an error: the lock may then pass to another
  writer.
- Without (the embedded default, and the CLI beside it on one host): an exclusive ``flock`` on a file under
  ``data_dir/locks``. ``flock`` locks belong to the open file, so two coroutines of one process exclude
  each other as well as two processes do. The blocking wait runs in a worker thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from app.errors import AppError, ErrorCode

logger = logging.getLogger(__name__)

_SAFE = re.compile(r"[^A-Za-z0-9_-]")
# The Redis lock's lease: a dead holder's lock is free again at most this long after it died.
LEASE_S = 30.0
WAIT_S = 3 * 3600


@contextlib.asynccontextmanager
async def kb_write_lock(
    *,
    redis: Any,
    namespace: str,
    data_dir: Path,
    tenant_id: str,
    wait_s: float = WAIT_S,
    lease_s: float = LEASE_S,
) -> AsyncIterator[None]:
    """Hold the tenant's KB write lock for the ``async with`` body. Raises ``AppError(CONFLICT)`` when it
    cannot be had within ``wait_s`` (0: one try). ``lease_s`` is the Redis lease (tests shorten it)."""
    key = _SAFE.sub("_", tenant_id)
    if redis is not None:
        lock = redis.lock(f"{namespace}:kb-lock:{key}", timeout=lease_s, blocking_timeout=wait_s)
        if not await lock.acquire():
            raise AppError(ErrorCode.CONFLICT, "another knowledge-base change is running; try again")
        renewer = asyncio.create_task(_renew(lock, lease_s / 3, tenant_id), name=f"kb-lock:{key}")
        try:
            yield
        finally:
            renewer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await renewer
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


async def _renew(lock: Any, every_s: float, tenant_id: str) -> None:
    """Reset the lease to its full length every ``every_s`` while the body runs."""
    while True:
        await asyncio.sleep(every_s)
        try:
            await lock.reacquire()
        except Exception as exc:  # LockNotOwnedError (expired, maybe taken), or Redis unreachable
            logger.error("knowledge-base lock of tenant %s not renewed: %s", tenant_id, type(exc).__name__)


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
