"""Evaluations and benchmarks that measure the product from the outside (production never imports this)."""
