"""The arXiv category taxonomy: which names a subscription may use, and what a typo meant.

Decisions
---------
* `ALL_CATEGORIES` holds every name `rss.arxiv.org` accepts as a feed: each current category id
  (`cs.LG`, `hep-th`, `physics.optics`, ...) plus the archives that group several categories
  (`cs`, `math`, `physics`, `astro-ph`, `cond-mat`, `nlin`, `q-bio`, `q-fin`, `stat`, `eess`,
  `econ`). Cross-listed aliases (`math.IT` = `cs.IT`, `math.ST` = `stat.TH`, `cs.SY` = `eess.SY`,
  `math.MP` = `math-ph`, ...) are valid names of their own and kept. Retired names (`cmp-lg`,
  `solv-int`, ...) are not.
* Matching is case-insensitive and returns arXiv's own spelling. Input is NFKC-normalised first,
  so full-width text typed on a Chinese keyboard (`ｃｓ．ＬＧ`, `，`) matches too.
* `parse_categories` splits arguments on white space, `,`, `;`, `+` (the feed URL's separator)
  and the Chinese enumeration comma `、`.
* Suggestions come, in this order, from: a short table of well-known confusions (`cs.ML` means
  `cs.LG` or `stat.ML`), close spellings (difflib, cutoff 0.85: `cs.LGG`, `hepth`), the same
  subject code in another archive (`cs.ML` -> `stat.ML`), names starting with the input (`hep`),
  the whole archive when only the subject code is wrong (`math.XX` -> `math`), then looser
  spellings (cutoff 0.6). Gibberish gets no suggestion at all.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable, Sequence

_ARCHIVE_SUBJECTS: dict[str, str] = {
    "cs": "AI AR CC CE CG CL CR CV CY DB DC DL DM DS ET FL GL GR GT HC IR IT LG LO MA MM MS NA "
    "NE NI OH OS PF PL RO SC SD SE SI SY",
    "econ": "EM GN TH",
    "eess": "AS IV SP SY",
    "math": "AC AG AP AT CA CO CT CV DG DS FA GM GN GR GT HO IT KT LO MG MP NA NT OA OC PR QA RA "
    "RT SG SP ST",
    "astro-ph": "CO EP GA HE IM SR",
    "cond-mat": "dis-nn mes-hall mtrl-sci other quant-gas soft stat-mech str-el supr-con",
    "nlin": "AO CD CG PS SI",
    "physics": "acc-ph ao-ph app-ph atm-clus atom-ph bio-ph chem-ph class-ph comp-ph data-an "
    "ed-ph flu-dyn gen-ph geo-ph hist-ph ins-det med-ph optics plasm-ph pop-ph soc-ph space-ph",
    "q-bio": "BM CB GN MN NC OT PE QM SC TO",
    "q-fin": "CP EC GN MF PM PR RM ST TR",
    "stat": "AP CO ME ML OT TH",
}
"""Archives with subject classes: each gives the feed `archive` and `archive.SUBJECT` feeds."""

STANDALONE_ARCHIVES = frozenset(
    {"gr-qc", "hep-ex", "hep-lat", "hep-ph", "hep-th", "math-ph", "nucl-ex", "nucl-th", "quant-ph"}
)
"""Archives that are a single category, without subject classes."""

ALL_CATEGORIES: frozenset[str] = frozenset(
    {
        *_ARCHIVE_SUBJECTS,
        *STANDALONE_ARCHIVES,
        *(
            f"{archive}.{subject}"
            for archive, subjects in _ARCHIVE_SUBJECTS.items()
            for subject in subjects.split()
        ),
    }
)

_WELL_KNOWN: dict[str, tuple[str, ...]] = {
    "cs.ml": ("cs.LG", "stat.ML"),
    "ml": ("cs.LG", "stat.ML"),
    "ai": ("cs.AI",),
    "nlp": ("cs.CL",),
    "cs.nlp": ("cs.CL",),
    "hep": ("hep-th", "hep-ph", "hep-ex"),
}
"""Names people often try that no typo distance leads to the right category."""

_BY_LOWER = {name.lower(): name for name in ALL_CATEGORIES}
_SORTED_LOWER = sorted(_BY_LOWER)
_SEPARATORS = re.compile(r"[\s,;+、]+")
_CLOSE = 0.85
_LOOSE = 0.6


def _normalise(text: str) -> str:
    """NFKC, outer white space and trailing commas removed, lower-cased."""
    return unicodedata.normalize("NFKC", text).strip().rstrip(",").strip().lower()


def canonical_category(text: str) -> str | None:
    """arXiv's spelling of `text` (`cs.lg` -> `cs.LG`, `HEP-TH` -> `hep-th`), None if unknown."""
    return _BY_LOWER.get(_normalise(text))


def suggest_categories(text: str, n: int = 3) -> list[str]:
    """Up to `n` valid names close to `text`, best first (see the module docstring)."""
    key = _normalise(text)
    if not key or n <= 0:
        return []
    archive, _, subject = key.rpartition(".")
    stages: list[Iterable[str]] = [
        _WELL_KNOWN.get(key, ()),
        _close(key, n, _CLOSE),
        _same_subject(subject),
        _starting_with(key),
        [_BY_LOWER[archive]] if archive in _BY_LOWER else [],
        _close(key, n, _LOOSE),
    ]
    suggestions: list[str] = []
    for stage in stages:
        for name in stage:
            if name not in suggestions:
                suggestions.append(name)
            if len(suggestions) == n:
                return suggestions
    return suggestions


def _close(key: str, n: int, cutoff: float) -> list[str]:
    """Names spelled like `key`, compared lower-cased."""
    matches = difflib.get_close_matches(key, _SORTED_LOWER, n=n, cutoff=cutoff)
    return [_BY_LOWER[lower] for lower in matches]


def _starting_with(key: str) -> list[str]:
    """Names that begin with `key` (`hep` -> `hep-ex`, ...); nothing for a single character."""
    if len(key) < 2:
        return []
    return [_BY_LOWER[lower] for lower in _SORTED_LOWER if lower.startswith(key)]


def _same_subject(subject: str) -> list[str]:
    """`archive.SUBJECT` names in any archive whose subject code is `subject`."""
    if len(subject) < 2:
        return []
    return [_BY_LOWER[lower] for lower in _SORTED_LOWER if lower.endswith("." + subject)]


def parse_categories(args: Sequence[str]) -> tuple[list[str], list[tuple[str, list[str]]]]:
    """Split `args` into valid names (canonical, deduplicated, in order) and unknown ones.

    Each argument may hold several names (`cs.LG,cs.CL`). Unknown names come back as typed,
    each once, with their suggestions.
    """
    valid: list[str] = []
    unknown: list[tuple[str, list[str]]] = []
    for token in _tokens(args):
        name = canonical_category(token)
        if name is None:
            if all(token != bad for bad, _ in unknown):
                unknown.append((token, suggest_categories(token)))
        elif name not in valid:
            valid.append(name)
    return valid, unknown


def _tokens(args: Sequence[str]) -> list[str]:
    """The non-empty pieces of every argument, split on the separators (after NFKC)."""
    pieces = (_SEPARATORS.split(unicodedata.normalize("NFKC", arg)) for arg in args)
    return [piece for group in pieces for piece in group if piece]
