"""Evaluation of the privacy layer: datasets, span metrics, the seeded Chinese generator, baselines.

Used by ``kefu eval pii`` / ``kefu eval pii-suite`` / ``kefu bench pii`` and by the tests. Nothing here
loads at import; datasets are read from ``EVAL_DATA_DIR`` paths the caller passes in.
"""
