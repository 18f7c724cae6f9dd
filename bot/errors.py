"""Our exception tree. Library errors are translated at the boundary (`raise X from exc`).

DigestError                  base of everything we raise on purpose
├── ConfigError              bad or missing configuration (CLI: one line, exit 2)
├── InputError               bad user input: no valid id, unknown category, bad argument
├── ArxivUnavailable         arXiv did not answer usefully (timeout, 5xx, 429, empty pages)
├── SummaryFailed            the LLM gave no valid summary within its attempts and time
│   └── LLMUnavailable       the LLM endpoint itself failed (connection, 5xx, 429, timeout)
└── QuotaExceeded            the user's daily quota of fresh summaries is used up
"""

from __future__ import annotations


class DigestError(Exception):
    """Base class of the errors this project raises on purpose."""


class ConfigError(DigestError):
    """Configuration is missing or invalid."""


class InputError(DigestError):
    """Input from a user or the command line is not valid."""


class ArxivUnavailable(DigestError):
    """arXiv could not be reached or gave no usable answer."""


class SummaryFailed(DigestError):
    """No valid summary could be obtained for a paper."""


class LLMUnavailable(SummaryFailed):
    """The LLM endpoint failed (transport error, 429, 5xx, timeout)."""


class QuotaExceeded(DigestError):
    """The user's daily quota of fresh summaries is used up."""
