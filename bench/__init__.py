"""Benchmarks of arxiv-digest against local fake servers: `python -m bench` (see README.md).

Each figure starts the real bot (as a subprocess, or in-process where only the pipeline is
measured) against the fakes of `tests.fakes` on 127.0.0.1 and reports its measurement as a ratio
against a limit, plus the raw numbers. Nothing here asserts anything about wall-clock time.
"""
