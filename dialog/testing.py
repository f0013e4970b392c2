"""Deterministic helpers for tests of the *other* layers (never a stand-in for testing dialog itself).

``hash_embed`` is a model-free embedding (hashed character n-grams, L2-normalised); ``local_tracker``
builds the real ``LocalTracker`` on it, trained on the demo intent set or one you pass, so an app test
drives the real rules and policy without loading a model.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import date
from pathlib import Path

import numpy as np
import numpy.typing as npt

from dialog.classifier import ClassifierParams, IntentClassifier
from dialog.intents import IntentSet, load_intents_yaml
from dialog.kb_profile import KBProfile
from dialog.tracker_local import LocalTracker

DEMO_INTENTS = Path(__file__).resolve().parents[1] / "data" / "demo_intents.yaml"


def hash_embed(texts: Sequence[str], dim: int = 256) -> npt.NDArray[np.float32]:
    """Character 1-3-grams hashed into ``dim`` buckets; same text, same vector."""
    out = np.zeros((len(texts), dim), dtype=np.float32)
    for i, text in enumerate(texts):
        t = f" {text.lower()} "
        for n in (1, 2, 3):
            for j in range(len(t) - n + 1):
                h = int.from_bytes(hashlib.blake2b(t[j : j + n].encode(), digest_size=4).digest(), "little")
                out[i, h % dim] += 1.0
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    normalised: npt.NDArray[np.float32] = out / norms
    return normalised


def local_tracker(
    intents: IntentSet | None = None, *, today: date = date(2025, 3, 10), kb: KBProfile | None = None
) -> LocalTracker:
    """A trained ``LocalTracker`` on ``hash_embed`` (demo intents by default), with a fixed today and,
    optionally, what a knowledge base teaches (``kb``)."""
    intent_set = intents if intents is not None else load_intents_yaml(DEMO_INTENTS)
    classifier = IntentClassifier(hash_embed, ClassifierParams(threshold=0.3))
    tracker = LocalTracker(classifier, intent_set, today=lambda: today, kb=kb)
    tracker.warm_up()
    return tracker
