"""Figure plumbing: one look for every plot, and a figure as an inline PNG.

Figures are ``matplotlib.figure.Figure`` objects made directly, not through
pyplot: they need no backend, never open a window and are not kept in
pyplot's registry, so there is nothing to close and nothing leaks between
reports.
"""

from __future__ import annotations

import base64
import io
from typing import Any

from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, PercentFormatter

GOOD = "#2c7fb8"
BAD = "#d7301f"
NEUTRAL = "#636363"
GAIN = "#31a354"
REFERENCE = "#9ecae1"

# Used through matplotlib.rc_context, never set globally: a report must not
# change the caller's matplotlib settings.
STYLE: dict[Any, Any] = {
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.titleweight": "bold",
    "axes.labelsize": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "legend.fontsize": 8,
    "legend.frameon": False,
}


def percent(axis) -> None:
    """Show shares (0.05) on ``axis`` as percentages (5%)."""
    axis.set_major_formatter(PercentFormatter(xmax=1.0, decimals=None))


def cny(axis) -> None:
    """Show CNY amounts on ``axis`` with thousands separators, large ones in k."""
    axis.set_major_formatter(
        FuncFormatter(lambda v, _: f"{v / 1e3:,.0f}k" if abs(v) >= 1e4 else f"{v:,.0f}")
    )


def new_figure(width: float = 5.6, height: float = 3.4, ncols: int = 1):
    """A figure with ``ncols`` axes side by side; call inside ``rc_context(STYLE)``."""
    fig = Figure(figsize=(width, height), layout="constrained")
    return fig, fig.subplots(1, ncols)


def data_uri(fig: Figure, dpi: int = 110) -> str:
    """``data:image/png;base64,...`` of ``fig``, with no software tag.

    Matplotlib writes its name and web address into the PNG metadata by
    default; dropping it keeps the report free of any URL and the bytes
    independent of the matplotlib version.
    """
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, metadata={"Software": None})
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
