from __future__ import annotations

import pytest

from dialog.testing import DEMO_INTENTS, local_tracker
from dialog.tracker_local import LocalTracker


@pytest.fixture(scope="session")
def tracker() -> LocalTracker:
    """The real local tracker on the model-free hash embedding, trained once on the demo intents."""
    return local_tracker()


@pytest.fixture(scope="session")
def e5_tracker() -> LocalTracker:
    """The demo intents on the app's default embedder (multilingual e5, from retrieval's factory)."""
    from dialog.config import DialogConfig
    from dialog.factory import build_local_tracker
    from retrieval.embedders import build_embedder

    embedder = build_embedder("multilingual-e5-small")
    embedder.warm_up()
    return build_local_tracker(DialogConfig(intents_path=DEMO_INTENTS), embed=embedder.embed_queries)
