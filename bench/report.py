"""What a figure reports: rows of (value, limit, ratio, target), printed and tabulated."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field


@dataclass
class Row:
    """One measured figure: `ratio` = measured / limit, judged against `target`.

    `target` is a comparison such as "<= 1.10" or ">= 1.00" (empty: informational only).
    `raw` holds the raw numbers as text; `note` says what was scaled down or how it was measured.
    """

    figure: str
    name: str
    ratio: float | None
    target: str = ""
    raw: str = ""
    note: str = ""
    kind: str = "ratio"  # or "count": a number of events, not a ratio (e.g. 429 answers)

    @property
    def met(self) -> bool | None:
        if self.ratio is None or not self.target:
            return None
        op, _, number = self.target.partition(" ")
        bound = float(number)
        return self.ratio <= bound if op == "<=" else self.ratio >= bound

    @property
    def distance(self) -> float:
        """How far the ratio is from its target, as a factor (1 = on target or better; counts
        are not ranked)."""
        if self.kind != "ratio" or self.ratio is None or not self.target or self.met:
            return 1.0
        op, _, number = self.target.partition(" ")
        bound = float(number)
        if self.ratio <= 0 or bound <= 0:
            return math.inf
        return self.ratio / bound if op == "<=" else bound / self.ratio


@dataclass
class FigureResult:
    number: int
    title: str
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    error: str | None = None


def ratio_text(value: float | None, kind: str = "ratio") -> str:
    if value is None:
        return "—"
    if math.isinf(value):
        return "inf"
    return f"{value:.0f}" if kind == "count" else f"{value:.2f}"


def verdict(row: Row) -> str:
    met = row.met
    return "" if met is None else ("ok" if met else "MISSED")


def print_figure(result: FigureResult, out: Callable[[str], None] = print) -> None:
    out(f"\n== figure {result.number}: {result.title} ({result.seconds:.1f} s)")
    if result.error:
        out(f"   COULD NOT RUN: {result.error}")
        return
    for row in result.rows:
        target = f" (target {row.target})" if row.target else ""
        mark = f" {verdict(row)}" if verdict(row) else ""
        label = "" if row.ratio is None else f": {row.kind} {ratio_text(row.ratio, row.kind)}"
        out(f"   {row.figure:<4} {row.name}{label}{target}{mark}")
        if row.raw:
            out(f"        raw: {row.raw}")
        if row.note:
            out(f"        note: {row.note}")
    for note in result.notes:
        out(f"   note: {note}")


def markdown_table(results: Sequence[FigureResult]) -> str:
    lines = [
        "| # | figure | ratio | target | met | raw numbers |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for result in results:
        if result.error:
            lines.append(
                f"| {result.number} | {result.title} | — | — | could not run | "
                f"{_cell(result.error)} |"
            )
            continue
        for row in result.rows:
            lines.append(
                f"| {row.figure} | {_cell(row.name)} | {ratio_text(row.ratio, row.kind)} | "
                f"{row.target or '—'} | {verdict(row) or '—'} | {_cell(row.raw)} |"
            )
    return "\n".join(lines)


def furthest(results: Sequence[FigureResult]) -> Row | None:
    rows = [row for r in results if not r.error for row in r.rows if row.met is False]
    return max(rows, key=lambda row: row.distance, default=None)


def _cell(text: str) -> str:
    return " ".join(text.replace("|", "\\|").split())
