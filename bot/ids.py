"""Find arXiv identifiers in what users send: message texts, captions and link URLs.

`extract_ids(texts)` scans free text (a message text or caption, then the URLs of its
text_link entities) and returns every arXiv id in it: versionless, deduplicated, in order of
first appearance. It returns them all; the caller keeps the first `MAX_PAPERS_PER_MESSAGE`.

`parse_id(token)` is the strict variant for one command-line argument: the whole token
(surrounding white space aside) must be one id in an accepted form, else the answer is None.

Both are pure (no I/O, nothing is ever fetched) and linear in the size of their input.

Decisions
---------
* Normalisation: each text goes through Unicode NFKC (full-width `２４０３．１５１７６`,
  `ａｒＸｉｖ：` and `）` become ASCII) after the zero-width characters U+200B, U+200C, U+200D,
  U+2060, U+FEFF and the soft hyphen U+00AD are deleted.
* Forms: `arxiv.org/abs|pdf|html/ID` on the hosts `arxiv.org`, `www.arxiv.org` and
  `export.arxiv.org`, with `http://`, `https://` or no scheme, `.pdf` or not; `arXiv:ID` and
  `arXiv: ID`; bare ids. Texts are lower-cased before matching, so hosts, paths, `arXiv:`,
  archives and the `v` of a version are case-insensitive.
* New-style ids: `YYMM.NNNN` for YYMM 0704..1412, `YYMM.NNNNN` from 1501 on; MM is 01..12, YY
  is not after the current calendar year (`date.today()`), NNNN is not all zeros.
* Old-style ids: `archive[.SC]/YYMMNNN` where archive is one of the arXiv archives of the old
  scheme (`_ARCHIVES`), SC an optional two-letter subject class, YYMM in 9101..0703 (the
  old scheme ended in March 2007) and NNN not 000. The subject class is *not* part of the
  identifier, so it is dropped: `math.GT/0309136` -> `math/0309136`, the name arXiv's API
  knows the paper by. The archive is lower-cased.
* Boundaries: a bare id must not be preceded by an ASCII letter or digit, `.`, `/`, `-`, `_`
  or `+`; no id (bare or not) may be followed by an ASCII letter or digit, `_`, or `.` / `-`
  plus a digit. So `v2403.15176`, `12403.15176`, `2403.151761` and `2403.15176.1` are not
  ids, while `2403.15176.` at the end of a sentence and `2403.15176,` are. Only *ASCII*
  letters count, because Chinese is written without spaces: `论文2403.15176讲了什么` has one.
  After `arxiv.org/abs/` the left-hand rule does not apply; `arXiv:ID` needs no rule of
  its own, since neither `:` nor white space is in it.
* Look-alike hosts: the host must be exactly one of the three above, directly followed by
  `/`, and (without a scheme) not glued to a preceding host, path or userinfo character.
  `arxiv.org.evil.com/abs/ID`, `arxiv.org@evil.com/abs/ID` and `evil.com/arxiv.org/abs/ID`
  are not arXiv URLs, and the id in them is ignored too: it follows a `/`, so it is not a
  bare id either. The same holds for ids in other sites' paths (`huggingface.co/papers/ID`)
  and, conservatively, for `user@arxiv.org/abs/ID`.
* Not told apart: a stand-alone number that has the exact shape of a valid id (say in a
  phone number written `138 2403.15176 9`) is taken for one; arXiv then reports it unknown.
* Speed: no nested or competing unbounded quantifiers, so a match attempt never backtracks
  more than a few characters and scanning is O(n): a 64 KB message with 500 links takes
  about 10 ms, pathological 64 KB inputs (`1111…`, `hep-th/hep-th/…`, `arXiv:   arXiv:…`) less.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from datetime import date

MAX_PAPERS_PER_MESSAGE = 10

# The archives of the old scheme (before April 2007), the `hep-th` of `hep-th/9901001`.
# fmt: off
_ARCHIVES = frozenset({
    "acc-phys", "adap-org", "alg-geom", "ao-sci", "astro-ph", "atom-ph", "bayes-an", "chao-dyn",
    "chem-ph", "cmp-lg", "comp-gas", "cond-mat", "cs", "dg-ga", "funct-an", "gr-qc", "hep-ex",
    "hep-lat", "hep-ph", "hep-th", "math", "math-ph", "mtrl-th", "nlin", "nucl-ex", "nucl-th",
    "patt-sol", "physics", "plasm-ph", "q-alg", "q-bio", "quant-ph", "solv-int", "supr-con",
})
# fmt: on
_ZERO_WIDTH = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")

_ARCHIVE_ALTERNATIVES = "|".join(sorted(map(re.escape, _ARCHIVES), key=len, reverse=True))
_NEW = r"(?P<new>(?P<yymm>[0-9]{4})\.(?P<num>[0-9]{4,5}))"
_OLD = (
    rf"(?P<archive>{_ARCHIVE_ALTERNATIVES})(?:\.[a-z]{{2}})?/"  # the subject class is dropped
    r"(?P<oyymm>[0-9]{4})(?P<onum>[0-9]{3})"
)
_ID = rf"(?:{_NEW}|{_OLD})(?:v[1-9][0-9]*)?"
_HOST_PATH = r"(?:www\.|export\.)?arxiv\.org/(?:abs|pdf|html)/"
_URL_PREFIX = rf"(?:https?://|(?<![a-z0-9./_+\-@])){_HOST_PATH}"
_BARE_START = r"(?<![a-z0-9./_+\-])"
_END = r"(?![a-z0-9_]|[.\-][0-9])"
_ARXIV_COLON = r"arxiv:\s{0,3}"

# Free text: an id after an arXiv URL prefix, or a bare one (which covers `arXiv:` and
# `arXiv: `, as neither `:` nor white space is in `_BARE_START`). Texts are lower-cased.
_SCAN = re.compile(rf"(?:{_URL_PREFIX}|{_BARE_START}){_ID}{_END}", re.ASCII)
# One whole argument: URLs may end in `.pdf`, `/`, a query or a fragment; other forms may not.
_TOKEN = re.compile(
    rf"(?:(?P<url>(?:https?://)?{_HOST_PATH})|{_ARXIV_COLON})?{_ID}"
    r"(?(url)(?:\.pdf)?/?(?:[?#]\S*)?)",
    re.ASCII,
)


def extract_ids(texts: Iterable[str]) -> list[str]:
    """All arXiv ids in `texts`, versionless, deduplicated, in order of first appearance.

    A lone string is taken as one text (not as an iterable of characters); empty texts are
    skipped.
    """
    if isinstance(texts, str):
        texts = [texts]
    found: dict[str, None] = {}
    year = date.today().year % 100
    for text in texts:
        if not text:
            continue
        for match in _SCAN.finditer(_normalise(text)):
            arxiv_id = _id_of(match, year)
            if arxiv_id is not None:
                found.setdefault(arxiv_id)
    return list(found)


def parse_id(token: str) -> str | None:
    """The versionless id that the whole of `token` names, or None if it names none.

    `token` is one command-line argument: a link or an id in any accepted form.
    """
    match = _TOKEN.fullmatch(_normalise(token).strip())
    return None if match is None else _id_of(match, date.today().year % 100)


def _normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", _ZERO_WIDTH.sub("", text)).lower()


def _id_of(match: re.Match[str], year: int) -> str | None:
    """The versionless id of a match of `_SCAN` or `_TOKEN`, or None if it is not valid.

    `year` is the current year modulo 100: new-style ids from later years do not exist yet.
    """
    if match["new"] is not None:
        return match["new"] if _valid_new(match["yymm"], match["num"], year) else None
    yymm, number = match["oyymm"], match["onum"]
    if not _valid_old(yymm, number):
        return None
    return f"{match['archive']}/{yymm}{number}"


def _valid_new(yymm: str, number: str, this_year: int) -> bool:
    year, month = int(yymm[:2]), int(yymm[2:])
    if not 1 <= month <= 12 or year > this_year or int(number) == 0:
        return False
    if len(number) == 4:
        return 704 <= int(yymm) <= 1412
    return year >= 15


def _valid_old(yymm: str, number: str) -> bool:
    year, month = int(yymm[:2]), int(yymm[2:])
    in_range = year >= 91 or int(yymm) <= 703
    return 1 <= month <= 12 and in_range and int(number) != 0
