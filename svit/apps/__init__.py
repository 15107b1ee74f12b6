"""The code behind ``tools/``: benchmarks and score ensembling, the layer above the engine.

Each module here may use the models, the engine and everything below; nothing in the package
imports from here (tests/test_import_graph.py). Kept in the package rather than in ``tools/`` so
that the tools, the tests and other tools (``tools/speed_vs_original*.py`` time with the benchmark's
code) import one copy.
"""
