"""Helpers shared by the contract tests."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest


async def assert_each_raises(error: type[Exception], *calls: Callable[[], Awaitable[object]]) -> None:
    """Each call, awaited on its own, raises ``error``."""
    for call in calls:
        with pytest.raises(error):
            await call()
