"""``load_document`` in a child process with memory, CPU-time and wall-clock limits.

An uploaded file is hostile until parsed: a 1.6 KB workbook can declare 131 million cells, a 1 KB
document a cell spanning 300,000 columns, a 14 KB PDF megabytes of text operators. Parsed in the serving
process, such a file takes its memory and, holding the GIL in pure-Python parsers, its reply times.
``load_document_isolated`` parses in a short-lived child instead:

- the child is forked from a small fork server (``multiprocessing`` "forkserver", started once per
  process on first use, with the parser libraries preloaded), never from the serving process itself, so
  it inherits neither its memory nor its threads, and costs a fork rather than an interpreter start;
- it lowers its own priority (``nice`` +10), sets ``RLIMIT_AS`` to its own address space at start plus
  ``config.parse_memory_mb``, ``RLIMIT_CPU`` to ``config.parse_cpu_s``, and no core files;
- the parent waits at most ``config.parse_wall_s`` for the result and kills the child after that.

A file that hits any limit raises ``ParseLimitExceeded`` (code ``parse_limit_exceeded``, ``limit`` says
which; a child whose peak address space reached its limit is "memory" however it ended, since parsers
sometimes swallow a ``MemoryError`` and then stall or crash); the loader's own rejections
(``DocumentRejected``) come back unchanged; a child that dies any other way is ``corrupt_file``. The result
is the same ``ParsedDocument`` ``load_document`` returns (pickled back; its size is bounded by
``config.max_text_chars``). Sync and blocking: call it from a worker thread. As everywhere with
``multiprocessing``, a script that calls it must guard its entry point (``if __name__ == "__main__"``).
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import signal
import threading
import time
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from retrieval.config import RetrievalConfig
from retrieval.errors import DocumentRejected, ParseLimitExceeded
from retrieval.loaders.table import FaqColumns
from retrieval.types import ParsedDocument

logger = logging.getLogger(__name__)

# Modules the fork server imports once, so each child starts with the parsers loaded. "__main__" keeps
# the children from importing the main script again each (multiprocessing re-runs it in every child
# whose parent ran a script, unless the server has it already).
PRELOAD = ["__main__", "retrieval.loaders", "pypdf", "openpyxl", "docx", "lxml.etree"]
_EXIT_MEMORY = 86  # the child ran out of its address space (MemoryError)
_NICE = 10
_TIMED_OUT: tuple[Any, ...] = ("timed_out",)
# A child whose peak address space came this close to its limit ran out of memory, whatever it did next.
_MEMORY_MARGIN = 32 * 1024 * 1024
# ... and one that stays there this long is stopped (pypdf, for one, can catch the MemoryError and spin).
_MEMORY_GRACE_S = 3.0
_lock = threading.Lock()
_context: Any = None


def _forkserver() -> Any:
    global _context
    with _lock:
        if _context is None:
            ctx = multiprocessing.get_context("forkserver")
            ctx.set_forkserver_preload(PRELOAD)
            _context = ctx
        return _context


def load_document_isolated(
    source: bytes | Path,
    filename: str,
    config: RetrievalConfig,
    *,
    columns: FaqColumns | None = None,
) -> ParsedDocument:
    """``retrieval.loaders.load_document`` in a limited child process; see the module docstring.

    Raises ``ParseLimitExceeded`` (memory, cpu, wall), ``DocumentRejected`` (the loader's codes;
    ``corrupt_file`` also when the child dies otherwise)."""
    data = source.read_bytes() if isinstance(source, Path) else source
    ctx = _forkserver()
    receiver, sender = ctx.Pipe(duplex=False)
    child = ctx.Process(
        target=_child_main,
        args=(sender, data, filename, config, columns, config.parse_memory_mb, config.parse_cpu_s),
        name=f"kefu-parse:{filename[:40]}",
        daemon=True,
    )
    child.start()
    sender.close()  # only the child writes; the parent sees EOF if the child dies
    watch = _Watch(child.pid)
    try:
        outcome = _wait(receiver, child, config.parse_wall_s, watch)
    finally:
        receiver.close()
        if child.is_alive():
            watch.look()  # the last word on its memory, before it goes
            child.kill()
        child.join(5)
    if outcome is None or outcome is _TIMED_OUT:
        if watch.at_memory_limit():  # a MemoryError swallowed inside the parser, then stuck or crashed
            raise _limit("memory", config, filename)
        if outcome is _TIMED_OUT:
            raise _limit("wall", config, filename)
        raise _death(child.exitcode, config, filename)
    kind = outcome[0]
    if kind == "ok":
        doc: ParsedDocument = outcome[1]
        return doc
    if kind == "rejected":
        raise DocumentRejected(outcome[1], outcome[2])
    if kind == "memory":
        raise _limit("memory", config, filename)
    logger.warning("parser child failed on %s: %s", filename, outcome[1])
    raise DocumentRejected("corrupt_file", f"the file cannot be read: {outcome[1]}")


class _Watch:
    """The child's address-space limit (its first message) and the peak it reached (``/proc``)."""

    def __init__(self, pid: int | None) -> None:
        self.pid = pid
        self.limit = 0
        self.peak = 0

    def look(self) -> None:
        try:
            with open(f"/proc/{self.pid}/status") as f:
                for line in f:
                    if line.startswith("VmPeak:"):
                        self.peak = max(self.peak, int(line.split()[1]) * 1024)
        except (OSError, ValueError):  # gone already
            pass

    def at_memory_limit(self) -> bool:
        return bool(self.limit) and self.peak >= self.limit - _MEMORY_MARGIN


def _wait(receiver: Connection, child: Any, wall_s: float, watch: _Watch) -> tuple[Any, ...] | None:
    """The child's result; None if it died without one; ``_TIMED_OUT`` after ``wall_s``."""
    deadline = time.monotonic() + wall_s
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return _TIMED_OUT
        watch.look()
        if watch.at_memory_limit():  # it has a few seconds to say so itself, or be stopped
            deadline = min(deadline, time.monotonic() + _MEMORY_GRACE_S)
        if receiver.poll(min(left, 0.25)):
            try:
                got: tuple[Any, ...] = receiver.recv()
            except (EOFError, OSError):
                return None
            if got[0] == "started":
                watch.limit = got[1]
                continue
            return got
        if not child.is_alive() and not receiver.poll(0):
            return None


def _death(exitcode: int | None, config: RetrievalConfig, filename: str) -> DocumentRejected:
    if exitcode == -signal.SIGXCPU:  # the kernel, at the soft CPU limit
        return _limit("cpu", config, filename)
    if exitcode in (_EXIT_MEMORY, -signal.SIGKILL):  # MemoryError; or the kernel's OOM killer
        return _limit("memory", config, filename)
    logger.warning("parser child for %s died with exit code %s", filename, exitcode)
    return DocumentRejected("corrupt_file", f"the parser stopped on this file (exit code {exitcode})")


def _limit(which: str, config: RetrievalConfig, filename: str) -> ParseLimitExceeded:
    bound = {
        "memory": f"{config.parse_memory_mb} MB of memory",
        "cpu": f"{config.parse_cpu_s} s of CPU time",
        "wall": f"{config.parse_wall_s} s",
    }[which]
    logger.warning("parsing %s exceeded its %s limit", filename, which)
    return ParseLimitExceeded(which, f"parsing this file needs more than {bound}; split or simplify it")


# --- the child ------------------------------------------------------------------------------------------


def _address_space_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")


def _apply_limits(memory_mb: int, cpu_s: int) -> int:
    """Lower the priority, set the limits; returns the address-space limit in bytes."""
    import resource

    with contextlib.suppress(OSError):
        os.nice(_NICE)
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    limit = _address_space_bytes() + memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    used = int(time.process_time())
    resource.setrlimit(resource.RLIMIT_CPU, (used + cpu_s, used + cpu_s + 1))
    return limit


def _child_main(
    sender: Connection,
    data: bytes,
    filename: str,
    config: RetrievalConfig,
    columns: FaqColumns | None,
    memory_mb: int,
    cpu_s: int,
) -> None:
    try:
        sender.send(("started", _apply_limits(memory_mb, cpu_s)))
        from retrieval.loaders import load_document

        doc = load_document(data, filename, config, columns=columns)
        del data
        sender.send(("ok", doc))
    except DocumentRejected as exc:
        sender.send(("rejected", exc.code, exc.detail))
    except MemoryError:
        try:
            sender.send(("memory",))
        except BaseException:  # nothing left to say it with: the exit code says it
            os._exit(_EXIT_MEMORY)
    except Exception as exc:  # any other parser failure is the file's
        sender.send(("error", f"{type(exc).__name__}: {str(exc)[:300]}"))
    finally:
        sender.close()
