"""Report: one self-contained HTML model report a person would rather look at.

Build a :class:`ReportData` from what the rest of the library computes
(labels, PDs, scores, grades, backtest, frontier, vintages, ...) and pass it
to :func:`render_report`; :mod:`bnpl_risk.report.plots` has each plot as a
matplotlib Figure for notebooks.
"""

from bnpl_risk.report.data import ReportData
from bnpl_risk.report.render import render_report

__all__ = ["ReportData", "render_report"]
