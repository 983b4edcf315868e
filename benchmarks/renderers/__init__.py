"""Renderers for benchmarks/render_docs.py: one module per job, each function registered
with ``@base.renderer("name")``. Every module in this folder is imported by the script."""
