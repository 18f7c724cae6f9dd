"""Rendering: Telegram HTML stays valid and within limits whatever the data; Markdown matches
`examples/digest-example.md` (embedded below as `EXAMPLE_LINES`) with RSS artefacts cleaned."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.models import Digest, DigestEntry, Paper, Summary
from bot.render import (
    MESSAGE_LIMIT,
    NO_SUMMARY_LINE,
    clean_abstract,
    clean_title,
    cut_abstract,
    render_markdown,
    render_paper_html,
    render_telegram,
    telegram_length,
)
from tests.support.html_check import check_telegram_html, links_in

HOSTILE = (
    "<script>alert(1)</script>",
    "</b>",
    "</blockquote>",
    '<a href="https://evil.example">click</a>',
    "&amp;",
    "&nbsp;",
    "a | b || c",
    "$a<b$ and $c>d$",
    "[x](https://evil.example) ]",
    "back\\slash\\",
    "\"quoted\" 'single'",
    "😀👩‍🔬𝔸𝕓",
    "line\nbreak\r\n\u2028",
)
ASTRAL = "😀"  # outside the BMP: two UTF-16 units


def make_entry(
    number: int = 1,
    *,
    title: str = "A Paper",
    abstract: str = "We study things.",
    summary: Summary | None = None,
    with_summary: bool = True,
) -> DigestEntry:
    paper = Paper(arxiv_id=f"2403.{number:05d}", version=1, title=title, abstract=abstract)
    if summary is None and with_summary:
        summary = Summary(title_zh="一篇论文", tldr_zh="一句话总结。", abstract_zh="中文摘要。")
    return DigestEntry(paper=paper, summary=summary)


def hostile_entry(number: int, text: str, *, with_summary: bool = True) -> DigestEntry:
    summary = Summary(title_zh=text, tldr_zh=text, abstract_zh=text) if with_summary else None
    return make_entry(number, title=text, abstract=text, summary=summary, with_summary=False)


def assert_valid_messages(messages: list[str], entries: tuple[DigestEntry, ...]) -> None:
    """Every message: non-empty, valid Telegram HTML, within the limit, only paper links."""
    urls = {entry.paper.url for entry in entries}
    for message in messages:
        assert message.strip()
        check_telegram_html(message)
        assert telegram_length(message) <= MESSAGE_LIMIT
        assert set(links_in(message)) <= urls
        assert message.count("<a ") == len(links_in(message))


# --- cleaning -------------------------------------------------------------------------------


@pytest.mark.parametrize("announce", ["new", "cross", "replace", "replace-cross"])
def test_clean_abstract_drops_the_rss_lead_in(announce: str) -> None:
    raw = f"arXiv:2403.15176v1 Announce Type: {announce}  Abstract: Developing\n  algorithms."
    assert clean_abstract(raw) == "Developing algorithms."


def test_clean_abstract_keeps_text_that_only_looks_alike() -> None:
    text = "We cite arXiv:2403.15176v1 Announce Type: new Abstract: in the middle."
    assert clean_abstract(text) == text


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("EHR data. (arXiv:2309.15039v1 [cs.LG])", "EHR data."),
        ("Old\n  style (arXiv:hep-th/9901001v2 [hep-th] UPDATED)", "Old style"),
        ("  Plain   title ", "Plain title"),
        ("Keeps (arXiv is great) brackets", "Keeps (arXiv is great) brackets"),
    ],
)
def test_clean_title_drops_the_rss_suffix_and_normalises_space(raw: str, clean: str) -> None:
    assert clean_title(raw) == clean


# --- cutting and counting -------------------------------------------------------------------


def test_cut_abstract_leaves_short_text_alone() -> None:
    text = "x" * 1000
    assert cut_abstract(text) == text


def test_cut_abstract_cuts_at_a_word_boundary_with_an_ellipsis() -> None:
    text = " ".join(f"word{index}" for index in range(400))
    cut = cut_abstract(text)
    assert len(cut) <= 1000
    assert cut.endswith("…")
    kept = cut.removesuffix("…")
    assert text.startswith(kept)
    assert text[len(kept)] == " "
    assert len(cut) > 900


def test_cut_abstract_cuts_chinese_anywhere() -> None:
    assert cut_abstract("中" * 2000, 100) == "中" * 99 + "…"


@pytest.mark.parametrize(
    ("html_text", "length"),
    [
        ("<b>a&amp;b</b>", 3),
        ("&lt;&gt;&quot;&#x27;&#39;", 5),
        (ASTRAL, 2),
        ('<a href="https://arxiv.org/abs/1">x</a>', 1),
        ("<blockquote expandable>中文</blockquote>\n", 3),
    ],
)
def test_telegram_length_counts_utf16_units_of_the_parsed_text(html_text: str, length: int) -> None:
    assert telegram_length(html_text) == length


# --- one paper in Telegram ------------------------------------------------------------------


def test_paper_html_layout() -> None:
    entry = make_entry(7, title="English <Title>", abstract="An abstract & more.")
    html_text = render_paper_html(entry, 3)
    assert html_text == (
        "<b>3. 一篇论文</b>\n"
        "<i>English &lt;Title&gt;</i>\n"
        '<a href="https://arxiv.org/abs/2403.00007">arXiv:2403.00007</a>\n'
        "💡 一句话总结。\n"
        "<blockquote expandable>中文摘要。</blockquote>\n"
        "<blockquote expandable>An abstract &amp; more.</blockquote>"
    )


def test_paper_html_without_summary_says_so_and_shows_the_english_title_in_bold() -> None:
    html_text = render_paper_html(make_entry(title="English", with_summary=False))
    assert html_text.startswith("<b>English</b>\n")
    assert NO_SUMMARY_LINE in html_text
    assert "<i>" not in html_text
    assert "💡" not in html_text
    check_telegram_html(html_text)


@pytest.mark.parametrize("text", HOSTILE)
@pytest.mark.parametrize("with_summary", [True, False])
def test_hostile_text_is_escaped_data(text: str, with_summary: bool) -> None:
    entry = hostile_entry(1, text, with_summary=with_summary)
    html_text = render_paper_html(entry, 1)
    check_telegram_html(html_text)
    assert links_in(html_text) == ["https://arxiv.org/abs/2403.00001"]
    assert "<script" not in html_text
    assert 'evil.example"' not in html_text


def test_markup_in_text_is_shown_literally() -> None:
    html_text = render_paper_html(hostile_entry(1, "$a<b$ &amp; </b>"))
    assert "$a&lt;b$ &amp;amp; &lt;/b&gt;" in html_text


@pytest.mark.parametrize("with_summary", [True, False])
@pytest.mark.parametrize("char", ["x", "中", ASTRAL, "&", "<"])
def test_huge_fields_still_fit_one_message(char: str, with_summary: bool) -> None:
    text = (char * 9 + " ") * 500
    html_text = render_paper_html(hostile_entry(1, text, with_summary=with_summary), 9999)
    check_telegram_html(html_text)
    assert telegram_length(html_text) <= MESSAGE_LIMIT
    assert html_text.count("…") == (5 if with_summary else 2)


def test_an_absurd_id_can_neither_break_the_markup_nor_the_limit() -> None:
    paper = Paper('"><b>' + ASTRAL * 5000, 1, "T" * 5000, "A" * 5000)
    entry = DigestEntry(paper, Summary("中" * 5000, "中" * 5000, "中" * 5000))
    html_text = render_paper_html(entry, 1)
    check_telegram_html(html_text)
    assert links_in(html_text) == [paper.url]
    assert telegram_length(html_text) <= MESSAGE_LIMIT


def test_english_abstract_in_telegram_is_cut_to_1000_characters() -> None:
    abstract = " ".join(["word"] * 400)
    html_text = render_paper_html(make_entry(abstract=abstract))
    assert f"<blockquote expandable>{cut_abstract(abstract)}</blockquote>" in html_text


# --- digests in Telegram --------------------------------------------------------------------


def test_digest_of_40_papers_splits_between_whole_units_overview_first() -> None:
    abstract = "Long abstract sentence. " * 60
    entries = tuple(make_entry(number, abstract=abstract) for number in range(1, 41))
    messages = render_telegram(Digest(entries=entries, header="今日 40 篇", notes=("完",)))
    assert len(messages) > 5
    assert_valid_messages(messages, entries)
    assert messages[0].startswith("<b>今日 40 篇</b>\n\n1. <b>一篇论文</b> — 一句话总结。\n2. ")
    assert messages[-1].endswith("\n\n完")
    text = "".join(messages)
    last_overview = text.index("40. <b>一篇论文</b>")
    for number, entry in enumerate(entries, start=1):
        block = render_paper_html(entry, number)
        assert sum(message.count(block) for message in messages) == 1
        assert text.index(block) > last_overview


def test_single_paper_digest_is_one_message() -> None:
    entry = make_entry()
    messages = render_telegram(Digest(entries=(entry,)))
    assert messages == [
        "1. <b>一篇论文</b> — 一句话总结。\n\n" + render_paper_html(entry, 1),
    ]


def test_overview_line_of_a_paper_without_summary_uses_the_english_title() -> None:
    messages = render_telegram(Digest(entries=(make_entry(title="Eng <T>", with_summary=False),)))
    assert messages[0].startswith("1. <b>Eng &lt;T&gt;</b> （暂无中文摘要）\n\n")


def test_empty_digest_with_notes_is_just_the_notes() -> None:
    messages = render_telegram(Digest(entries=(), notes=("未找到 2403.99999", "<b>配额</b>")))
    assert messages == ["未找到 2403.99999\n&lt;b&gt;配额&lt;/b&gt;"]


def test_empty_digest_gives_no_message_at_all() -> None:
    assert render_telegram(Digest(entries=(), header="  ", notes=("", " "))) == []


def test_hostile_digest_renders_valid_messages() -> None:
    entries = tuple(
        hostile_entry(number, text * 300, with_summary=number % 2 == 0)
        for number, text in enumerate(HOSTILE, start=1)
    )
    digest = Digest(entries=entries, header=HOSTILE[0] * 500, notes=HOSTILE)
    assert_valid_messages(render_telegram(digest), entries)


# --- Markdown ---------------------------------------------------------------------------------

RSS_ARTEFACTS = (
    (" (arXiv:2309.15039v1 [cs.LG])", ""),
    ("http://arxiv.org/abs/2309.15039", "https://arxiv.org/abs/2309.15039"),
    ("arXiv:2403.15176v1 Announce Type: cross  Abstract: ", ""),
    ("volume.  This", "volume. This"),  # white space is normalised too
)


def example_entries() -> tuple[DigestEntry, ...]:
    """The example's four papers, built from its raw (RSS-flavoured) detail blocks."""
    lines = EXAMPLE_LINES
    entries = []
    for start, line in enumerate(lines):
        if not (footnote := re.fullmatch(r"\[\^\d+\]: (.*)", line)):
            continue
        title, link, tldr, abstract_zh, abstract = (lines[start + n][4:] for n in (2, 4, 6, 10, 12))
        arxiv_id = link.split("](")[0].rsplit("/", 1)[1]
        paper = Paper(arxiv_id, 1, clean_title(title), clean_abstract(abstract))
        entries.append(DigestEntry(paper, Summary(footnote[1], tldr, abstract_zh)))
    return tuple(entries)


def test_cleaning_removes_the_rss_artefacts_of_the_example() -> None:
    entries = example_entries()
    ids = [entry.paper.arxiv_id for entry in entries]
    assert ids == ["2403.15176", "2312.15230", "2312.06646", "2309.15039"]
    assert entries[3].paper.title.endswith("Risk Prediction using EHR data.")
    assert entries[0].paper.abstract.startswith("Developing algorithms for accurate")
    markdown = render_markdown(Digest(entries=entries))
    for artefact in ("http://", "Announce Type", "(arXiv:", "Abstract:"):
        assert artefact in "\n".join(EXAMPLE_LINES)
        assert artefact not in markdown


def test_markdown_matches_the_example_line_by_line() -> None:
    expected = "\n".join(EXAMPLE_LINES) + "\n"
    for raw, clean in RSS_ARTEFACTS:
        assert raw in expected
        expected = expected.replace(raw, clean)
    rendered = render_markdown(Digest(entries=example_entries()))
    assert rendered.split("\n") == expected.split("\n")


def test_markdown_of_a_paper_without_summary_keeps_the_structure() -> None:
    entry = make_entry(title="Eng", abstract="Abs.", with_summary=False)
    url = entry.paper.url
    assert render_markdown(Digest(entries=(entry,))).split("\n")[4:] == [
        f"| [^1] | [Eng]({url}) | — |",
        "",
        "# 详细",
        "",
        "[^1]: Eng （暂无中文摘要）",
        "",
        "    Eng",
        "",
        f"    [{url}]({url})",
        "",
        "    —",
        "",
        "    ",
        "",
        "    Abs.",
        "    ",
        "",
        "",
    ]


def test_markdown_puts_the_header_first_and_notes_last() -> None:
    digest = Digest(entries=(make_entry(),), header="2024-03-25 cs.LG", notes=("a", "b\nc", " "))
    markdown = render_markdown(digest)
    assert markdown.startswith("2024-03-25 cs.LG\n\n# 摘要\n\n| Ref | Title | Summary |\n")
    assert markdown.endswith("\n    \n\n> a\n> b c\n")


def test_markdown_of_an_empty_digest_with_notes() -> None:
    markdown = render_markdown(Digest(entries=(), notes=("未找到",)))
    assert (
        markdown
        == "# 摘要\n\n| Ref | Title | Summary |\n| --- | --- | --- |\n\n# 详细\n\n> 未找到\n"
    )


def test_markdown_table_escapes_pipes_brackets_and_newlines() -> None:
    summary = Summary("t", "p | q\\|r\nnext", "a")
    entry = make_entry(title="A [x] | y\\", summary=summary)
    row = render_markdown(Digest(entries=(entry,))).split("\n")[4]
    assert row == (
        r"| [^1] | [A \[x\] \| y\\](https://arxiv.org/abs/2403.00001) | p \| q\\\|r next |"
    )


def test_markdown_cuts_the_english_abstract_to_1000_characters() -> None:
    abstract = " ".join(["word"] * 400)
    markdown = render_markdown(Digest(entries=(make_entry(abstract=abstract),)))
    assert f"\n    {cut_abstract(abstract)}\n" in markdown


# --- properties -------------------------------------------------------------------------------

_texts = st.one_of(
    st.text(max_size=60),
    st.builds(
        lambda text, times: text * times, st.text(min_size=1, max_size=30), st.integers(30, 200)
    ),
    st.lists(st.sampled_from(HOSTILE), max_size=12).map(" ".join),
)
_ids = st.from_regex(r"\A(\d{4}\.\d{4,5}|[a-z-]{2,8}(\.[A-Z]{2})?/\d{7})\Z")
_entries = st.builds(
    lambda arxiv_id, title, abstract, summary: DigestEntry(
        Paper(arxiv_id, 1, title, abstract), summary
    ),
    _ids,
    _texts,
    _texts,
    st.none() | st.builds(Summary, _texts, _texts, _texts),
)
_digests = st.builds(
    Digest,
    st.lists(_entries, min_size=1, max_size=30).map(tuple),
    header=_texts,
    notes=st.lists(_texts, max_size=3).map(tuple),
)
_property = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@_property
@given(_digests)
def test_every_chunk_is_valid_and_every_paper_is_whole_in_one_chunk(digest: Digest) -> None:
    messages = render_telegram(digest)
    assert_valid_messages(messages, digest.entries)
    for number, entry in enumerate(digest.entries, start=1):
        block = render_paper_html(entry, number)
        assert sum(message.count(block) for message in messages) == 1


def _cells(row: str) -> list[str]:
    """A table row split on `|` not escaped by a backslash."""
    return re.findall(r"((?:\\.|[^\\|])*)\|", row)


@_property
@given(_digests)
def test_markdown_keeps_its_shape_whatever_the_text(digest: Digest) -> None:
    lines = render_markdown(digest).split("\n")
    table_start = lines.index("| --- | --- | --- |") + 1
    rows = lines[table_start : table_start + len(digest.entries)]
    for number, row in enumerate(rows, start=1):
        cells = _cells(row)
        assert len(cells) == 4, row  # the text before the first `|` and three cells
        assert cells[0] == ""
        assert cells[1] == f" [^{number}] "
        assert row.endswith(" |")
        assert row == "".join(cell + "|" for cell in cells)
    assert lines[table_start + len(digest.entries) : table_start + len(digest.entries) + 3] == [
        "",
        "# 详细",
        "",
    ]
    details = sum(14 if entry.summary else 12 for entry in digest.entries)
    notes = sum(1 for note in digest.notes if note.strip())
    header = 2 if digest.header.strip() else 0
    assert len(lines) == header + 4 + len(digest.entries) + 3 + details + 1 + notes + 1


# The example digest, verbatim (long lines split into adjacent literals). Generated from
# examples/digest-example.md; do not edit by hand.
EXAMPLE_LINES: tuple[str, ...] = (
    "# 摘要",
    "",
    "| Ref | Title | Summary |",
    "| --- | --- | --- |",
    (
        "| [^1] | [Brain-grounding of semantic vectors improves neural decoding of visual sti"
        "muli](https://arxiv.org/abs/2403.15176) | 提出了一种表示学习框架，称为语义向量的脑接"
        "地，通过微调预训练的特征向量，使其更好地与人类大脑中视觉刺激的神经表示对齐。 |"
    ),
    (
        "| [^2] | [PERP: Rethinking the Prune-Retrain Paradigm in the Era of LLMs](https://ar"
        "xiv.org/abs/2312.15230) | 本研究中，通过仅更新少部分高度表达力的参数，我们挑战了全参"
        "数重新训练的做法，在修剪后恢复或甚至提升了性能。PERP方法显著减少了计算量和存储需求。"
        " |"
    ),
    (
        "| [^3] | [Computational Copyright: Towards A Royalty Model for Music Generative AI]("
        "https://arxiv.org/abs/2312.06646) | 本文旨在解决音乐生成AI领域中的版权问题，提出了一"
        "种用于AI音乐生成平台的版税模型，并探讨了对AI生成音乐进行版权归因的算法解决方案。 |"
    ),
    (
        "| [^4] | [Combining Survival Analysis and Machine Learning for Mass Cancer Risk Pred"
        "iction using EHR data.](http://arxiv.org/abs/2309.15039) | 该论文介绍了一种利用 EHR "
        "数据进行大规模肿瘤风险预测的新方法，其创新之处在于只需利用历史的医疗服务代码和诊断信"
        "息来实现最小化的数据需求，通过将存活分析和机器学习相结合，可以在大规模应用中实现对患"
        "者癌症风险的个性化评估。 |"
    ),
    "",
    "# 详细",
    "",
    "[^1]: 语义向量的脑接地改善了神经解码视觉刺激",
    "",
    "    Brain-grounding of semantic vectors improves neural decoding of visual stimuli",
    "",
    "    [https://arxiv.org/abs/2403.15176](https://arxiv.org/abs/2403.15176)",
    "",
    (
        "    提出了一种表示学习框架，称为语义向量的脑接地，通过微调预训练的特征向量，使其更好"
        "地与人类大脑中视觉刺激的神经表示对齐。"
    ),
    "",
    "    ",
    "",
    (
        "    发展准确全面的算法来解码大脑内容是神经科学和脑机接口领域的一个长期目标。之前的研"
        "究已经证明了通过训练机器学习模型将大脑活动模式映射到一个语义向量表示的神经解码的可行"
        "性。为了解决这个问题，我们提出了一个表示学习框架，称为语义向量的脑接地，它对预训练的"
        "特征向量进行微调，以更好地与人类大脑中视觉刺激的神经表示对齐。"
    ),
    "",
    (
        "    arXiv:2403.15176v1 Announce Type: cross  Abstract: Developing algorithms for acc"
        "urate and comprehensive neural decoding of mental contents is one of the long-cheris"
        "hed goals in the field of neuroscience and brain-machine interfaces. Previous studie"
        "s have demonstrated the feasibility of neural decoding by training machine learning "
        "models to map brain activity patterns into a semantic vector representation of stimu"
        "li. These vectors, hereafter referred as pretrained feature vectors, are usually der"
        "ived from semantic spaces based solely on image and/or text features and therefore t"
        "hey might have a totally different characteristics than how visual stimuli is repres"
        "ented in the human brain, resulting in limiting the capability of brain decoders to "
        "learn this mapping. To address this issue, we propose a representation learning fram"
        "ework, termed brain-grounding of semantic vectors, which fine-tunes pretrained featu"
        "re vectors to better align with the neural representation of visual stimuli in t"
    ),
    "    ",
    "[^2]: PERP: 在LLMs时代重新思考修剪-重新训练范式",
    "",
    "    PERP: Rethinking the Prune-Retrain Paradigm in the Era of LLMs",
    "",
    "    [https://arxiv.org/abs/2312.15230](https://arxiv.org/abs/2312.15230)",
    "",
    (
        "    本研究中，通过仅更新少部分高度表达力的参数，我们挑战了全参数重新训练的做法，在修"
        "剪后恢复或甚至提升了性能。PERP方法显著减少了计算量和存储需求。"
    ),
    "",
    "    ",
    "",
    (
        "    神经网络可以通过修剪实现高效压缩，显著减少存储和计算需求同时保持预测性能。像迭代"
        "幅值修剪（IMP，Han等，2015）这样的简单而有效的方法可以去除不重要的参数，并需要昂贵的"
        "重新训练过程以在修剪后恢复性能。然而，随着大型语言模型（LLMs）的兴起，由于内存和计算"
        "限制，完全重新训练变得不可行。在本研究中，我们挑战了重新训练所有参数的做法，通过证明"
        "只更新少部分高度表达力的参数通常足以恢复甚至提高性能。令人惊讶的是，仅重新训练GPT-结"
        "构的0.27%-0.35%的参数即可在不同稀疏水平上实现与一次性IMP相当的性能。我们的方法，即修"
        "剪后参数高效重新训练（PERP），大大减少了计算量。"
    ),
    "",
    (
        "    Neural Networks can be efficiently compressed through pruning, significantly red"
        "ucing storage and computational demands while maintaining predictive performance. Si"
        "mple yet effective methods like Iterative Magnitude Pruning (IMP, Han et al., 2015) "
        "remove less important parameters and require a costly retraining procedure to recove"
        "r performance after pruning. However, with the rise of Large Language Models (LLMs),"
        " full retraining has become infeasible due to memory and compute constraints. In thi"
        "s study, we challenge the practice of retraining all parameters by demonstrating tha"
        "t updating only a small subset of highly expressive parameters is often sufficient t"
        "o recover or even improve performance compared to full retraining. Surprisingly, ret"
        "raining as little as 0.27%-0.35% of the parameters of GPT-architectures achieves com"
        "parable performance to One Shot IMP across various sparsity levels. Our approach, Pa"
        "rameter-Efficient Retraining after Pruning (PERP), drastically reduces compute a"
    ),
    "    ",
    "[^3]: 计算版权: 面向音乐生成AI的版税模型",
    "",
    "    Computational Copyright: Towards A Royalty Model for Music Generative AI",
    "",
    "    [https://arxiv.org/abs/2312.06646](https://arxiv.org/abs/2312.06646)",
    "",
    (
        "    本文旨在解决音乐生成AI领域中的版权问题，提出了一种用于AI音乐生成平台的版税模型，"
        "并探讨了对AI生成音乐进行版权归因的算法解决方案。"
    ),
    "",
    "    ",
    "",
    (
        "    生成AI的进步引发了版权挑战，在音乐行业尤为突出。本文关注这些挑战的经济方面，强调"
        "经济影响在版权领域中构成一个核心问题。黑盒生成AI技术的复杂性不仅表明，而且需要算法解"
        "决方案。然而，这样的解决方案在很大程度上缺失，导致监管挑战。我们旨在通过为AI音乐生成"
        "平台提出潜在的版税模型来弥补当前方法的差距。我们的方法涉及对Spotify和YouTube等平台现"
        "有版税模型的详细分析，并将其调整到AI生成音乐的独特背景中。我们面临的一个重要挑战是将"
        "AI生成的音乐归因于训练数据中有影响力的版权内容。为此，我们提出了利用数据归因的算法解"
        "决方案。"
    ),
    "",
    (
        "    The advancement of generative AI has given rise to pressing copyright challenges"
        ", particularly in music industry. This paper focuses on the economic aspects of thes"
        "e challenges, emphasizing that the economic impact constitutes a central issue in th"
        "e copyright arena. The complexity of the black-box generative AI technologies not on"
        "ly suggests but necessitates algorithmic solutions. However, such solutions have bee"
        "n largely missing, leading to regulatory challenges in this landscape. We aim to bri"
        "dge the gap in current approaches by proposing potential royalty models for revenue "
        "sharing on AI music generation platforms. Our methodology involves a detailed analys"
        "is of existing royalty models in platforms like Spotify and YouTube, and adapting th"
        "ese to the unique context of AI-generated music. A significant challenge we address "
        "is the attribution of AI-generated music to influential copyrighted content in the t"
        "raining data. To this end, we present algorithmic solutions employing data attri"
    ),
    "    ",
    "[^4]: 结合存活分析和机器学习利用电子健康记录数据进行肿瘤风险预测",
    "",
    (
        "    Combining Survival Analysis and Machine Learning for Mass Cancer Risk Prediction"
        " using EHR data. (arXiv:2309.15039v1 [cs.LG])"
    ),
    "",
    "    [http://arxiv.org/abs/2309.15039](http://arxiv.org/abs/2309.15039)",
    "",
    (
        "    该论文介绍了一种利用 EHR 数据进行大规模肿瘤风险预测的新方法，其创新之处在于只需"
        "利用历史的医疗服务代码和诊断信息来实现最小化的数据需求，通过将存活分析和机器学习相结"
        "合，可以在大规模应用中实现对患者癌症风险的个性化评估。"
    ),
    "",
    "    ",
    "",
    (
        "    纯粹的医学肿瘤筛查方法通常费用高昂、耗时长，并且仅适用于大规模应用。先进的人工智"
        "能（AI）方法在癌症检测方面发挥了巨大作用，但需要特定或深入的医学数据。这些方面影响了"
        "癌症筛查方法的大规模实施。因此，基于已有的电子健康记录（EHR）数据对患者进行大规模个"
        "性化癌症风险评估应用AI方法是一种颠覆性的改变。本文提出了一种利用EHR数据进行大规模肿"
        "瘤风险预测的新方法。与其他方法相比，我们的方法通过最小的数据贪婪策略脱颖而出，仅需要"
        "来自EHR的医疗服务代码和诊断历史。我们将问题形式化为二分类问题。该数据集包含了175441"
        "名不记名的患者（其中2861名被诊断为癌症）。作为基准，我们实现了一个基于循环神经网络（"
        "RNN）的解决方案。我们提出了一种方法，将存活分析和机器学习相结合，"
    ),
    "",
    (
        "    Purely medical cancer screening methods are often costly, time-consuming, and we"
        "akly applicable on a large scale. Advanced Artificial Intelligence (AI) methods grea"
        "tly help cancer detection but require specific or deep medical data. These aspects a"
        "ffect the mass implementation of cancer screening methods. For these reasons, it is "
        "a disruptive change for healthcare to apply AI methods for mass personalized assessm"
        "ent of the cancer risk among patients based on the existing Electronic Health Record"
        "s (EHR) volume.  This paper presents a novel method for mass cancer risk prediction "
        "using EHR data. Among other methods, our one stands out by the minimum data greedy p"
        "olicy, requiring only a history of medical service codes and diagnoses from EHR. We "
        "formulate the problem as a binary classification. This dataset contains 175 441 de-i"
        "dentified patients (2 861 diagnosed with cancer). As a baseline, we implement a solu"
        "tion based on a recurrent neural network (RNN). We propose a method that combine"
    ),
    "    ",
    "",
)
