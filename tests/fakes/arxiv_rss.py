"""Fake arXiv RSS server: re-exported from `tests.fakes.arxiv_api` (where it lives)."""

from __future__ import annotations

from tests.fakes.arxiv_api import FakeArxivRss, RssItem, RssRequest

__all__ = ["FakeArxivRss", "RssItem", "RssRequest"]
