"""Which dense index a tenant KB version gets: one pure decision, made once per build.

Flat (exact) while a scan is cheap, HNSW while full vectors in a graph fit a replica's memory and rebuild
in minutes, IVF-PQ beyond (codes instead of vectors). Thresholds are ``RetrievalConfig.ann_threshold``
and ``ivfpq_threshold``, measured in docs/BENCHMARKS.md ("A million chunks"). A tenant may pin a kind
(``tenants.settings["index_kind"]``), and the deployment may force one for every tenant
(``RETRIEVAL__INDEX_KIND``, for evaluations); the tenant's pin wins.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

from retrieval.config import IndexKindSetting, RetrievalConfig
from retrieval.index.dense import DenseSpec, IndexKind

INDEX_KIND_SETTINGS: tuple[str, ...] = get_args(IndexKindSetting)
ChoiceReason = Literal["tenant_setting", "deployment_setting", "small", "medium", "large"]


@dataclass(frozen=True, slots=True)
class IndexChoice:
    kind: IndexKind
    reason: ChoiceReason
    size: int


def choose_index_kind(size: int, config: RetrievalConfig, tenant_setting: str | None = None) -> IndexChoice:
    """The index kind for ``size`` vectors. ``tenant_setting``: ``auto`` / None (decide by size) or a kind.

    Raises ``ValueError`` for a setting that is not one of ``INDEX_KIND_SETTINGS``.
    """
    if tenant_setting is not None and tenant_setting not in INDEX_KIND_SETTINGS:
        raise ValueError(f"unknown index kind {tenant_setting!r}; known: {', '.join(INDEX_KIND_SETTINGS)}")
    if tenant_setting not in (None, "auto"):
        return IndexChoice(tenant_setting, "tenant_setting", size)  # type: ignore[arg-type]
    if config.index_kind != "auto":
        return IndexChoice(config.index_kind, "deployment_setting", size)
    if size <= config.ann_threshold:
        return IndexChoice("flat", "small", size)
    if size <= config.ivfpq_threshold:
        return IndexChoice("hnsw", "medium", size)
    return IndexChoice("ivfpq", "large", size)


def dense_spec(kind: IndexKind, config: RetrievalConfig) -> DenseSpec:
    """The build and search parameters of ``kind`` from ``config``."""
    return DenseSpec(
        kind, hnsw_m=config.hnsw_m, ef_construction=config.hnsw_ef_construction,
        ef_search=config.hnsw_ef_search, nlist=config.ivf_nlist, pq_m=config.ivf_pq_m,
        nprobe=config.ivf_nprobe, refine_factor=config.ivf_refine_factor,
    )  # fmt: skip
