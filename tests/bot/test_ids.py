"""Which strings are arXiv ids, and what `extract_ids` and `parse_id` make of them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.ids import MAX_PAPERS_PER_MESSAGE, extract_ids, parse_id

THIS_YEAR = date.today().year % 100

# fmt: off
ARCHIVES = [
    "acc-phys", "adap-org", "alg-geom", "ao-sci", "astro-ph", "atom-ph", "bayes-an", "chao-dyn",
    "chem-ph", "cmp-lg", "comp-gas", "cond-mat", "cs", "dg-ga", "funct-an", "gr-qc", "hep-ex",
    "hep-lat", "hep-ph", "hep-th", "math", "math-ph", "mtrl-th", "nlin", "nucl-ex", "nucl-th",
    "patt-sol", "physics", "plasm-ph", "q-alg", "q-bio", "quant-ph", "solv-int", "supr-con",
]
# fmt: on

# (text, the one id extract_ids finds in it)
FORMS = [
    ("https://arxiv.org/abs/2403.15176", "2403.15176"),
    ("http://arxiv.org/abs/2403.15176", "2403.15176"),
    ("arxiv.org/abs/2403.15176", "2403.15176"),
    ("https://arxiv.org/abs/2403.15176v2", "2403.15176"),
    ("https://arxiv.org/pdf/2403.15176", "2403.15176"),
    ("https://arxiv.org/pdf/2403.15176v1", "2403.15176"),
    ("https://arxiv.org/pdf/2403.15176v1.pdf", "2403.15176"),
    ("https://arxiv.org/pdf/2403.15176.pdf", "2403.15176"),
    ("https://arxiv.org/html/2403.15176v2", "2403.15176"),
    ("https://arxiv.org/html/2403.15176v2/#S3", "2403.15176"),
    ("https://export.arxiv.org/abs/2403.15176", "2403.15176"),
    ("https://www.arxiv.org/abs/2403.15176", "2403.15176"),
    ("HTTPS://WWW.ArXiv.ORG/ABS/2403.15176V2", "2403.15176"),
    ("https://arxiv.org/abs/2403.15176?context=cs.LG", "2403.15176"),
    ("https://arxiv.org/abs/2403.15176/", "2403.15176"),
    ("2403.15176", "2403.15176"),
    ("2403.15176v2", "2403.15176"),
    ("2403.15176v12", "2403.15176"),
    ("arXiv:2403.15176", "2403.15176"),
    ("arXiv: 2403.15176", "2403.15176"),
    ("ARXIV:2403.15176v3", "2403.15176"),
    ("0704.0001", "0704.0001"),
    ("1412.9999", "1412.9999"),
    ("1501.00001", "1501.00001"),
    ("hep-th/9901001", "hep-th/9901001"),
    ("hep-th/9901001v2", "hep-th/9901001"),
    ("HEP-TH/9901001", "hep-th/9901001"),
    ("math.GT/0309136", "math/0309136"),
    ("cs.AI/0703001", "cs/0703001"),
    ("hep-th/9108001", "hep-th/9108001"),
    ("arxiv.org/abs/hep-th/9901001v2", "hep-th/9901001"),
    ("https://arxiv.org/abs/math.GT/0309136", "math/0309136"),
    ("arXiv:cond-mat/0011001", "cond-mat/0011001"),
    ("see 2403.15176, and more", "2403.15176"),
    ("(2403.15176)", "2403.15176"),
    ("2403.15176。", "2403.15176"),
    ("Read 2403.15176.", "2403.15176"),
    ("（2403.15176）", "2403.15176"),
    ("“2403.15176”", "2403.15176"),
    ("「2403.15176」", "2403.15176"),
    ("2403.15176-", "2403.15176"),
    ("论文2403.15176讲了什么", "2403.15176"),
    ("请总结https://arxiv.org/abs/2403.15176谢谢", "2403.15176"),
    ("see:2403.15176", "2403.15176"),
    ("?id=2403.15176", "2403.15176"),
    ("２４０３．１５１７６", "2403.15176"),
    ("ａｒＸｉｖ：２４０３．１５１７６ｖ２", "2403.15176"),
    ("2403.\u200b15176", "2403.15176"),
    ("24\u00ad03.15176", "2403.15176"),
    ("\ufeff2403.15176\u2060", "2403.15176"),
    ("https://arxiv.org/abs/2403.15176\u200c\u200d", "2403.15176"),
]

NOT_IDS = [
    pytest.param("1234.5678", id="month-34"),
    pytest.param("2400.15176", id="month-00"),
    pytest.param("2413.15176", id="month-13"),
    pytest.param("2403.1517", id="four-digits-after-2014"),
    pytest.param("1412.12345", id="five-digits-before-2015"),
    pytest.param("0703.1234", id="before-the-new-scheme"),
    pytest.param("0612.12345", id="before-2007-five-digits"),
    pytest.param("2403.00000", id="number-zero"),
    pytest.param("12403.15176", id="digit-before"),
    pytest.param("2403.151761", id="digit-after"),
    pytest.param("2403.15176.1", id="dotted-version-string"),
    pytest.param("2403.15176-2", id="dash-digit-after"),
    pytest.param("v2403.15176", id="letter-before"),
    pytest.param("x2403.15176", id="other-letter-before"),
    pytest.param("2403.15176x", id="letter-after"),
    pytest.param("2403.15176v2a", id="letter-after-version"),
    pytest.param("2403.15176v0", id="version-zero"),
    pytest.param("2403.15176_", id="underscore-after"),
    pytest.param("_2403.15176", id="underscore-before"),
    pytest.param("+2403.15176", id="plus-before"),
    pytest.param("-2403.15176", id="dash-before"),
    pytest.param("1.2403.15176", id="dot-before"),
    pytest.param("/2403.15176", id="slash-before"),
    pytest.param("2024.03.15", id="date"),
    pytest.param("192.168.1.1", id="ip-address"),
    pytest.param("3.14159265", id="pi"),
    pytest.param("foo-th/9901001", id="unknown-archive"),
    pytest.param("hep-th/9913001", id="old-month-13"),
    pytest.param("hep-th/0704001", id="old-after-march-2007"),
    pytest.param("hep-th/8912001", id="old-before-1991"),
    pytest.param("hep-th/9901000", id="old-number-zero"),
    pytest.param("hep-th/990100", id="old-six-digits"),
    pytest.param("hep-th/99010012", id="old-eight-digits"),
    pytest.param("xhep-th/9901001", id="old-letter-before"),
    pytest.param("math.GTX/0309136", id="old-three-letter-subject"),
    pytest.param("https://arxiv.org.evil.com/abs/2403.15176", id="lookalike-host-suffix"),
    pytest.param("https://arxiv.org@evil.com/abs/2403.15176", id="lookalike-userinfo"),
    pytest.param("https://evil.com/arxiv.org/abs/2403.15176", id="lookalike-path"),
    pytest.param("https://notarxiv.org/abs/2403.15176", id="lookalike-longer-host"),
    pytest.param("https://arxiv.org/list/cs.LG/2403", id="listing-page"),
    pytest.param("https://huggingface.co/papers/2403.15176", id="other-site-path"),
    pytest.param("", id="empty"),
    pytest.param("no papers here", id="plain-text"),
]


@pytest.mark.parametrize(("text", "expected"), FORMS)
def test_extract_ids_finds_the_versionless_id_in_every_accepted_form(
    text: str, expected: str
) -> None:
    assert extract_ids([text]) == [expected]


@pytest.mark.parametrize("text", NOT_IDS)
def test_extract_ids_ignores_numbers_that_only_look_like_ids(text: str) -> None:
    assert extract_ids([text]) == []


@pytest.mark.skipif(THIS_YEAR == 99, reason="next year would wrap around to 00")
def test_extract_ids_ignores_ids_from_a_future_year() -> None:
    assert extract_ids([f"{THIS_YEAR + 1:02d}01.12345"]) == []
    assert extract_ids([f"{THIS_YEAR:02d}01.12345"]) == [f"{THIS_YEAR:02d}01.12345"]


def test_extract_ids_deduplicates_on_the_versionless_id_in_order_of_first_appearance() -> None:
    texts = [
        "see 2403.15176v1 and hep-th/9901001, then 2403.15176v2 again",
        "https://arxiv.org/abs/2403.15176",
        "https://arxiv.org/abs/2401.00001v3",
        "HEP-TH/9901001v2",
    ]
    assert extract_ids(texts) == ["2403.15176", "hep-th/9901001", "2401.00001"]


def test_extract_ids_reads_the_text_before_the_entity_urls() -> None:
    caption = "两篇：2402.00002 和 [这篇]"
    urls = ["https://arxiv.org/abs/2401.00001", "https://arxiv.org/pdf/2402.00002v2"]
    assert extract_ids([caption, *urls]) == ["2402.00002", "2401.00001"]


def test_extract_ids_returns_all_ids_and_leaves_the_limit_to_the_caller() -> None:
    text = " ".join(f"2403.{n:05d}" for n in range(1, MAX_PAPERS_PER_MESSAGE + 3))
    found = extract_ids([text])
    assert len(found) == MAX_PAPERS_PER_MESSAGE + 2
    assert found[:MAX_PAPERS_PER_MESSAGE][-1] == f"2403.{MAX_PAPERS_PER_MESSAGE:05d}"


def test_extract_ids_takes_a_lone_string_as_one_text() -> None:
    assert extract_ids("arXiv:2403.15176") == ["2403.15176"]


def test_extract_ids_accepts_any_iterable_and_skips_empty_texts() -> None:
    def texts() -> Iterator[str]:
        yield ""
        yield "2403.15176"

    assert extract_ids(texts()) == ["2403.15176"]
    assert extract_ids([]) == []


TOKENS = [
    (" 2403.15176 ", "2403.15176"),
    ("2403.15176v2", "2403.15176"),
    ("arXiv:2403.15176", "2403.15176"),
    ("arXiv: 2403.15176v1", "2403.15176"),
    ("https://arxiv.org/abs/2403.15176v2?context=cs.LG", "2403.15176"),
    ("arxiv.org/pdf/2403.15176v1.pdf", "2403.15176"),
    ("https://export.arxiv.org/abs/2403.15176/", "2403.15176"),
    ("hep-th/9901001v3", "hep-th/9901001"),
    ("math.GT/0309136", "math/0309136"),
    ("https://arxiv.org/abs/hep-th/9901001", "hep-th/9901001"),
    ("\u3000２４０３．１５１７６\n", "2403.15176"),
]

NOT_TOKENS = [
    "",
    "   ",
    "2403.15176,",
    "(2403.15176)",
    "see 2403.15176",
    "2403.15176 2403.15177",
    "2403.15176.pdf",
    "1234.5678",
    "2403.151761",
    "https://arxiv.org.evil.com/abs/2403.15176",
    "https://huggingface.co/papers/2403.15176",
    "https://arxiv.org/abs/",
]


@pytest.mark.parametrize(("token", "expected"), TOKENS)
def test_parse_id_accepts_one_id_or_link_in_any_form(token: str, expected: str) -> None:
    assert parse_id(token) == expected


@pytest.mark.parametrize("token", NOT_TOKENS)
def test_parse_id_rejects_anything_but_exactly_one_id(token: str) -> None:
    assert parse_id(token) is None


def test_extract_ids_finds_500_links_in_a_64_kb_message() -> None:
    forms = (
        "https://arxiv.org/abs/2403.{:05d}v1",
        "arxiv.org/pdf/2404.{:05d}.pdf",
        "arXiv:2405.{:05d}",
        "（2406.{:05d}）",
        "hep-th/9901{:03d}",
    )
    links = [forms[n % len(forms)].format(n // len(forms) + 1) for n in range(500)]
    message = " 中文 ".join(links)
    message += " filler, 1.2.3 v2 中文。" * ((65536 - len(message)) // 20)
    assert len(message) >= 60_000
    found = extract_ids([message])
    assert len(found) == 500
    assert found[:2] == ["2403.00001", "2404.00001"]


@pytest.mark.parametrize(
    "text",
    [
        "1" * 65536,
        "1." * 32768,
        "2403.15176." * 6000,
        "2403.15176v" * 6000,
        "hep-th/" * 9000,
        "math.GT/1" * 7000,
        "arXiv:   " * 7000,
        "arxiv.org/abs/" * 4600,
        "https://www." * 5400,
        "a-" * 32768,
        "\u200b" * 65536,
        "中" * 65536,
    ],
    ids=lambda text: repr(text[:12]),
)
def test_extract_ids_stays_linear_on_hostile_text(text: str) -> None:
    # A few ms in practice (speed is measured in bench/); catastrophic backtracking would hang.
    assert extract_ids([text]) == []


@st.composite
def written_ids(draw: st.DrawFn) -> tuple[str, str]:
    """(how a valid id is written, the versionless id extract_ids must return)."""
    if draw(st.booleans()):
        yymm = draw(st.integers(704, THIS_YEAR * 100 + 12).filter(lambda n: 1 <= n % 100 <= 12))
        number = draw(st.integers(1, 9999 if yymm <= 1412 else 99999))
        arxiv_id = f"{yymm:04d}.{number:0{4 if yymm <= 1412 else 5}d}"
        written = arxiv_id
    else:
        archive = draw(st.sampled_from(ARCHIVES))
        yymm = draw(st.sampled_from([9108, 9512, 9901, 1, 612, 703]))
        arxiv_id = f"{archive}/{yymm:04d}{draw(st.integers(1, 999)):03d}"
        subject = draw(st.sampled_from(["", ".GT", ".AI", ".lg"]))
        written = arxiv_id.replace("/", f"{subject}/", 1)
    version = draw(st.sampled_from(["", "v1", "v2", "v17"]))
    prefix = draw(
        st.sampled_from(
            ["", "arXiv:", "arXiv: ", "https://arxiv.org/abs/", "http://export.arxiv.org/pdf/"]
        )
    )
    suffix = ".pdf" if prefix.endswith("/pdf/") and draw(st.booleans()) else ""
    return f"{prefix}{written}{version}{suffix}", arxiv_id


SEPARATORS = st.sampled_from([" ", "\n", "(", ")", ",", "，", "。", "、", "：", "（", "）", "\t"])


@given(written_ids(), st.text(max_size=40), SEPARATORS, SEPARATORS, st.text(max_size=40))
def test_extract_ids_finds_any_valid_id_embedded_in_any_text(
    written: tuple[str, str], before: str, left: str, right: str, after: str
) -> None:
    form, arxiv_id = written
    assert arxiv_id in extract_ids([before + left + form + right + after])


@given(written_ids())
def test_parse_id_and_extract_ids_agree_on_every_valid_form(written: tuple[str, str]) -> None:
    form, arxiv_id = written
    assert parse_id(form) == arxiv_id
    assert extract_ids([form]) == [arxiv_id]


@given(st.lists(st.text()))
def test_extract_ids_never_raises_and_returns_unique_parseable_ids(texts: list[str]) -> None:
    found = extract_ids(texts)
    assert len(found) == len(set(found))
    assert all(parse_id(arxiv_id) == arxiv_id for arxiv_id in found)


@given(st.text())
def test_parse_id_never_raises_and_its_id_is_also_extracted(token: str) -> None:
    arxiv_id = parse_id(token)
    assert arxiv_id is None or arxiv_id in extract_ids([token])
