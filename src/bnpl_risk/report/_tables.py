"""Tables as plain cells of formatted text, for the template to lay out.

Numbers are formatted here, once, so the template only places text (which
Jinja escapes) and a CSS class per cell: ``num`` right-aligns, ``stable`` /
``watch`` / ``act`` / ``flag`` colour, ``total`` marks a totals row.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "Cell",
    "Column",
    "Table",
    "count",
    "flag_negative",
    "money",
    "number",
    "pct",
    "table",
    "text",
]


@dataclass(frozen=True)
class Cell:
    text: str
    css: str = ""


@dataclass(frozen=True)
class Table:
    """Header, formatted rows and a caption; a ``collapsed`` table starts folded."""

    header: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    caption: str = ""
    collapsed: bool = False


@dataclass(frozen=True)
class Column:
    """How one column of a frame is shown: its source, header, format and CSS."""

    source: str
    header: str
    format: Callable[[Any], str]
    css: Callable[[Any], str] | None = None


def _missing(value) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value))


def pct(value, digits: int = 1) -> str:
    """0.0423 -> '4.2%'; missing -> '–'."""
    return "–" if _missing(value) else f"{float(value):.{digits}%}"


def count(value) -> str:
    """1234 -> '1,234'."""
    return "–" if _missing(value) else f"{float(value):,.0f}"


def money(value) -> str:
    """CNY, no decimals: -1234.5 -> '-1,234'."""
    return "–" if _missing(value) else f"{float(value):,.0f}"


def number(value, digits: int = 3) -> str:
    """0.12345 -> '0.123'."""
    return "–" if _missing(value) else f"{float(value):.{digits}f}"


def text(value) -> str:
    return "–" if _missing(value) else str(value)


def flag_negative(value) -> str:
    """CSS class of a loss: ``flag`` below zero."""
    return "flag" if not _missing(value) and value < 0 else ""


def table(
    frame: pd.DataFrame,
    columns: list[Column],
    *,
    index: Column | None = None,
    caption: str = "",
    collapsed: bool = False,
) -> Table:
    """Format ``frame`` column by column; a row labelled ``Total`` is styled as totals."""
    shown = ([index] if index else []) + columns
    values = [frame.index.to_list() if c is index else frame[c.source].to_list() for c in shown]
    rows = tuple(
        tuple(
            Cell(c.format(v), _css(c, v, str(label) == "Total"))
            for c, v in zip(shown, row, strict=True)
        )
        for label, row in zip(frame.index, zip(*values, strict=True), strict=True)
    )
    return Table(tuple(c.header for c in shown), rows, caption, collapsed)


def _css(column: Column, value, total: bool) -> str:
    classes = (
        "" if column.format is text else "num",
        column.css(value) if column.css else "",
        "total" if total else "",
    )
    return " ".join(c for c in classes if c)
