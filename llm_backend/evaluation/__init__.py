"""Measurement harness of the LLM backend: ``kefu bench llm-*`` / ``kefu eval llm-answers`` call these.

Only stdlib, numpy and this package: knowledge-base passages come from ``toy_kb`` (a plain lexical
retriever over the demo KB / E.SUN FAQ files), so the LLM figures do not move when retrieval changes.
"""
