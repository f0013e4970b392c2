from __future__ import annotations

import pytest

from dialog.testing import local_tracker
from dialog.tracker_local import LocalTracker


@pytest.fixture(scope="session")
def tracker() -> LocalTracker:
    """The real local tracker on the model-free hash embedding, trained once on the demo intents."""
    return local_tracker()
