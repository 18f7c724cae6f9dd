"""Which category names are valid, how they are spelled, and what a typo is taken to mean."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.taxonomy import (
    ALL_CATEGORIES,
    canonical_category,
    parse_categories,
    suggest_categories,
)

# (archive, number of `archive.SUBJECT` categories in arXiv's current taxonomy)
SUBJECT_COUNTS = [
    ("cs", 40),
    ("math", 32),
    ("stat", 6),
    ("eess", 4),
    ("econ", 3),
    ("q-bio", 10),
    ("q-fin", 9),
    ("physics", 22),
    ("astro-ph", 6),
    ("cond-mat", 9),
    ("nlin", 5),
]
STANDALONE = ["gr-qc", "hep-ex", "hep-lat", "hep-ph", "hep-th", "math-ph", "nucl-ex", "nucl-th"]


@pytest.mark.parametrize(("archive", "count"), SUBJECT_COUNTS)
def test_every_archive_has_its_subject_classes_and_a_feed_of_its_own(
    archive: str, count: int
) -> None:
    subjects = [name for name in ALL_CATEGORIES if name.startswith(archive + ".")]
    assert len(subjects) == count
    assert archive in ALL_CATEGORIES


def test_taxonomy_is_exactly_the_current_one() -> None:
    standalone = {*STANDALONE, "quant-ph"}
    assert standalone <= ALL_CATEGORIES
    subjects = sum(count for _, count in SUBJECT_COUNTS)
    assert len(ALL_CATEGORIES) == subjects + len(SUBJECT_COUNTS) + len(standalone)
    for name in ["cs.LG", "cs.GL", "cs.OH", "math.IT", "math.MP", "cs.SY", "eess.SY", "q-fin.EC"]:
        assert name in ALL_CATEGORIES
    for retired in ["cmp-lg", "solv-int", "cs.ML", "math.XX", "cond-mat.mtrl-th", "supr-con"]:
        assert retired not in ALL_CATEGORIES


def test_no_two_names_differ_only_in_case() -> None:
    assert len({name.lower() for name in ALL_CATEGORIES}) == len(ALL_CATEGORIES)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("cs.LG", "cs.LG"),
        ("cs.lg", "cs.LG"),
        ("CS.LG", "cs.LG"),
        ("HEP-TH", "hep-th"),
        ("physics.OPTICS", "physics.optics"),
        ("COND-MAT.STAT-MECH", "cond-mat.stat-mech"),
        ("q-bio.nc", "q-bio.NC"),
        ("Q-FIN.st", "q-fin.ST"),
        ("  math.oc ", "math.OC"),
        ("cs.LG,", "cs.LG"),
        (" cs.CL , ", "cs.CL"),
        ("ｃｓ．ＬＧ，", "cs.LG"),  # typed with a full-width (Chinese) keyboard layout
        ("ASTRO-PH", "astro-ph"),
        ("Cs", "cs"),
    ],
)
def test_canonical_category_returns_arxivs_spelling(text: str, expected: str) -> None:
    assert canonical_category(text) == expected


@pytest.mark.parametrize(
    "text", ["cs.ML", "cs.lgg", "hepth", "math.XX", "foo", "", " , ", "cs.", ".LG", "cs.LG.x"]
)
def test_canonical_category_rejects_unknown_names(text: str) -> None:
    assert canonical_category(text) is None


def test_every_name_is_its_own_canonical_spelling_whatever_the_case() -> None:
    for name in ALL_CATEGORIES:
        assert canonical_category(name) == name
        assert canonical_category(name.swapcase()) == name


def test_cs_ml_suggests_machine_learning_categories() -> None:
    suggestions = suggest_categories("cs.ML")
    assert suggestions[:2] == ["cs.LG", "stat.ML"]


@pytest.mark.parametrize(
    ("text", "first"),
    [("cs.lgg", "cs.LG"), ("cs.LGG", "cs.LG"), ("hepth", "hep-th"), ("quantph", "quant-ph")],
)
def test_a_typo_suggests_the_intended_name_first(text: str, first: str) -> None:
    assert suggest_categories(text)[0] == first


def test_an_unknown_subject_class_suggests_its_archive_first() -> None:
    suggestions = suggest_categories("math.XX")
    assert suggestions[0] == "math"
    assert all(name.startswith("math") for name in suggestions)


def test_a_bare_subject_code_suggests_the_categories_having_it() -> None:
    assert suggest_categories("LG") == ["cs.LG"]
    assert suggest_categories("co") == ["astro-ph.CO", "math.CO", "stat.CO"]


def test_a_prefix_suggests_the_names_starting_with_it() -> None:
    assert suggest_categories("hep") == ["hep-th", "hep-ph", "hep-ex"]
    assert suggest_categories("cond")[0] == "cond-mat"


@pytest.mark.parametrize("text", ["foo", "", "   ", "zzzzzz", "!!!"])
def test_gibberish_gets_no_suggestion(text: str) -> None:
    assert suggest_categories(text) == []


@given(text=st.text(max_size=30), n=st.integers(min_value=0, max_value=6))
def test_suggestions_are_valid_distinct_and_at_most_n(text: str, n: int) -> None:
    suggestions = suggest_categories(text, n)
    assert len(suggestions) <= n
    assert len(set(suggestions)) == len(suggestions)
    assert set(suggestions) <= ALL_CATEGORIES


def test_parse_categories_splits_on_commas_and_canonicalises() -> None:
    assert parse_categories(["cs.LG,cs.CL"]) == (["cs.LG", "cs.CL"], [])
    assert parse_categories(["cs.lg,", "HEP-TH"]) == (["cs.LG", "hep-th"], [])


def test_parse_categories_accepts_every_common_separator() -> None:
    args = ["cs.LG, cs.CL;math.OC", "q-bio.NC+hep-th", "stat.ML、cs.AI，cs.CV"]
    valid, unknown = parse_categories(args)
    assert valid == ["cs.LG", "cs.CL", "math.OC", "q-bio.NC", "hep-th", "stat.ML", "cs.AI", "cs.CV"]
    assert unknown == []


def test_parse_categories_deduplicates_keeping_first_order() -> None:
    assert parse_categories(["cs.CL", "cs.LG,cs.cl", "CS.LG"]) == (["cs.CL", "cs.LG"], [])


def test_parse_categories_reports_unknown_names_as_typed_with_suggestions() -> None:
    valid, unknown = parse_categories(["cs.LG,cs.ML", "foo", "hepth", "foo"])
    assert valid == ["cs.LG"]
    assert unknown == [
        ("cs.ML", suggest_categories("cs.ML")),
        ("foo", []),
        ("hepth", suggest_categories("hepth")),
    ]
    assert "cs.LG" in unknown[0][1]
    assert "stat.ML" in unknown[0][1]
    assert unknown[2][1][0] == "hep-th"


@pytest.mark.parametrize("args", [[], [""], [" , ", ",,"]])
def test_parse_categories_of_nothing_is_empty(args: list[str]) -> None:
    assert parse_categories(args) == ([], [])
