"""The report's plots, each a ``matplotlib.figure.Figure`` built from plain data.

Every function takes what a metric of :mod:`bnpl_risk.evaluation`,
:mod:`bnpl_risk.monitoring` or :mod:`bnpl_risk.policy` returns (or labels
and PDs, checked and stripped of immature rows as those metrics do) and
computes no metric of its own. They are usable on their own in a notebook;
:func:`bnpl_risk.report.render_report` embeds them as inline PNGs. Text in
the plots is English only: the fonts matplotlib finds may lack Chinese
glyphs (the report's tables carry the Chinese texts).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib import colormaps, rc_context
from sklearn.metrics import roc_curve

from bnpl_risk.evaluation import auc, ks
from bnpl_risk.evaluation._inputs import mature
from bnpl_risk.monitoring import stability_status
from bnpl_risk.report._figures import (
    BAD,
    GAIN,
    GOOD,
    NEUTRAL,
    REFERENCE,
    STYLE,
    cny,
    new_figure,
    percent,
)

__all__ = [
    "calibration_figure",
    "economics_figure",
    "frontier_figure",
    "grade_economics_figure",
    "grade_figure",
    "importance_figure",
    "ks_figure",
    "psi_figure",
    "roc_figure",
    "score_distribution_figure",
    "vintage_figure",
]


def roc_figure(y, pd_):
    """ROC curve of the PD: bads caught against goods declined.

    Parameters
    ----------
    y : array-like of {1, 0, missing}
        1 bad, 0 good, missing immature (left out).
    pd_ : array-like of float in [0, 1]

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ConfigError
        As :func:`bnpl_risk.evaluation.auc`.

    Examples
    --------
    >>> fig = roc_figure([0, 1, 0, 1, None], [0.1, 0.8, 0.3, 0.6, 0.5])
    >>> fig.axes[0].get_title()
    'ROC curve (AUC 1.000, Gini 1.000)'
    """
    area = auc(y, pd_)
    y_, cols, _ = mature("roc_figure", y, pd_=pd_)
    fpr, tpr, _ = roc_curve(y_, cols["pd_"])
    with rc_context(STYLE):
        fig, ax = new_figure()
        ax.plot(fpr, tpr, color=BAD, lw=2, label="model")
        ax.plot([0, 1], [0, 1], color=NEUTRAL, ls="--", lw=1, label="random")
        ax.set(
            title=f"ROC curve (AUC {area:.3f}, Gini {2 * area - 1:.3f})",
            xlabel="Goods declined (false positive rate)",
            ylabel="Bads caught (true positive rate)",
            xlim=(0, 1),
            ylim=(0, 1.01),
        )
        percent(ax.xaxis)
        percent(ax.yaxis)
        ax.legend(loc="lower right")
    return fig


def ks_figure(y, score):
    """Cumulative share of bads and goods at or below each score, and the KS gap.

    Parameters
    ----------
    y : array-like of {1, 0, missing}
        1 bad, 0 good, missing immature (left out).
    score : array-like of float
        Score (higher is safer) or PD; the x axis is on its scale.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ConfigError
        As :func:`bnpl_risk.evaluation.ks`.

    Examples
    --------
    >>> fig = ks_figure([0, 0, 1, 1], [600, 700, 500, 650])
    >>> fig.axes[0].get_title()
    'KS 0.500 at score 500'
    """
    split = ks(y, score)
    y_, cols, _ = mature("ks_figure", y, score=score)
    s = cols["score"]
    grid = np.unique(s)
    share = {
        label: np.searchsorted(np.sort(s[y_ == cls]), grid, side="right") / (y_ == cls).sum()
        for label, cls in (("bads", 1), ("goods", 0))
    }
    with rc_context(STYLE):
        fig, ax = new_figure()
        ax.step(grid, share["bads"], where="post", color=BAD, lw=2, label="bads")
        ax.step(grid, share["goods"], where="post", color=GOOD, lw=2, label="goods")
        at = int(np.searchsorted(grid, split.at))
        ax.vlines(split.at, share["goods"][at], share["bads"][at], color="black", lw=1.5)
        ax.annotate(
            f" KS {split.value:.3f}",
            (split.at, (share["goods"][at] + share["bads"][at]) / 2),
            fontsize=8,
        )
        ax.set(
            title=f"KS {split.value:.3f} at score {split.at:.4g}",
            xlabel="Score (points; higher is safer)",
            ylabel="Share at or below the score",
            ylim=(0, 1.01),
        )
        percent(ax.yaxis)
        ax.legend(loc="lower right")
    return fig


def calibration_figure(table: pd.DataFrame):
    """Reliability plot: observed bad rate against mean PD per PD bin.

    Parameters
    ----------
    table : DataFrame
        From :func:`bnpl_risk.evaluation.calibration_table` (columns n,
        mean_pd, bad_rate).

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> from bnpl_risk.evaluation import calibration_table
    >>> t = calibration_table([1, 0, 0, 1], [0.9, 0.1, 0.2, 0.3], bins=2)
    >>> calibration_figure(t).axes[0].get_title()
    'Calibration by PD bin (2 bins)'
    """
    top = float(max(table["mean_pd"].max(), table["bad_rate"].max()) * 1.1) or 1.0
    with rc_context(STYLE):
        fig, ax = new_figure()
        ax.plot([0, top], [0, top], color=NEUTRAL, ls="--", lw=1, label="perfect calibration")
        ax.plot(table["mean_pd"], table["bad_rate"], "o-", color=BAD, lw=1.5, label="observed")
        ax.set(
            title=f"Calibration by PD bin ({len(table)} bins)",
            xlabel="Mean predicted PD",
            ylabel="Observed bad rate",
            xlim=(0, top),
            ylim=(0, top),
        )
        percent(ax.xaxis)
        percent(ax.yaxis)
        ax.legend(loc="upper left")
    return fig


def score_distribution_figure(y, score, bins: int = 30):
    """Histograms of the score of goods and of bads, each as a share of its class.

    Parameters
    ----------
    y : array-like of {1, 0, missing}
        1 bad, 0 good, missing immature (left out).
    score : array-like of float
    bins : int, default 30
        Equal-width bins shared by both classes.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ConfigError
        As :func:`bnpl_risk.evaluation.ks`.

    Examples
    --------
    >>> fig = score_distribution_figure([0, 0, 1, 1], [600, 700, 500, 650], bins=4)
    >>> [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    ['goods (n=2)', 'bads (n=2)']
    """
    y_, cols, _ = mature("score_distribution_figure", y, both_classes=True, score=score)
    s = cols["score"]
    edges = np.histogram_bin_edges(s, bins=bins)
    with rc_context(STYLE):
        fig, ax = new_figure()
        for cls, label, color in ((0, "goods", GOOD), (1, "bads", BAD)):
            values = s[y_ == cls]
            ax.hist(
                values,
                bins=edges,
                weights=np.full(len(values), 1 / len(values)),
                color=color,
                alpha=0.45,
                histtype="stepfilled",
                edgecolor=color,
                label=f"{label} (n={len(values):,})",
            )
        ax.set(
            title="Score distribution of goods and bads",
            xlabel="Score (points; higher is safer)",
            ylabel="Share of the class",
        )
        percent(ax.yaxis)
        ax.legend(loc="upper left")
    return fig


def grade_figure(table: pd.DataFrame):
    """Observed bad rate and mean PD per grade, with each grade's share of applications.

    Parameters
    ----------
    table : DataFrame
        From :func:`bnpl_risk.evaluation.grade_table` (its ``Total`` row is
        left out; a grade whose bad rate falls below the previous grade's is
        drawn in grey and flagged).

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> from bnpl_risk.evaluation import grade_table
    >>> t = grade_table([0, 0, 1, 1], [0.01, 0.02, 0.1, 0.3], ["A", "A", "C", "E"])
    >>> grade_figure(t).axes[0].get_title()
    'Bad rate by grade: monotone'
    """
    grades = table.drop(index="Total")
    x = np.arange(len(grades))
    reversal = grades["reversal"].fillna(False).to_numpy(bool)
    with rc_context(STYLE):
        fig, ax = new_figure()
        ax.bar(
            x,
            grades["bad_rate"].fillna(0),
            color=np.where(reversal, NEUTRAL, BAD),
            alpha=0.8,
            label="observed bad rate",
        )
        ax.plot(x, grades["mean_pd"], "D", color="black", ms=5, label="mean PD")
        # The share of applications goes under each grade, not on its bar,
        # where the mean-PD marker would cover it.
        ticks = [
            f"{grade}\n{share:.0%}" + ("\nreversal" if flag else "")
            for grade, share, flag in zip(grades.index, grades["share"], reversal, strict=True)
        ]
        ax.set_xticks(x, ticks)
        monotone = "monotone" if table.attrs.get("monotone", not reversal.any()) else "NOT monotone"
        ax.set(
            title=f"Bad rate by grade: {monotone}",
            xlabel="Grade, best first, and its share of applications",
            ylabel="Bad rate / PD",
        )
        ax.margins(y=0.15)
        percent(ax.yaxis)
        ax.legend(loc="upper left")
    return fig


def psi_figure(table: pd.DataFrame, title: str = "Score"):
    """Shares of the reference and the current sample per bin, with the PSI.

    Parameters
    ----------
    table : DataFrame
        From :func:`bnpl_risk.monitoring.psi_table` (columns bin,
        reference_share, current_share, psi).
    title : str, default "Score"
        What was compared.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> from bnpl_risk.monitoring import psi_table
    >>> t = psi_table([1.0, 2, 3, 4], [1.0, 2, 3, 4], bins=2)
    >>> psi_figure(t).axes[0].get_title()
    'Score PSI 0.000 (stable)'
    """
    value = float(table["psi"].sum())
    x = np.arange(len(table))
    with rc_context(STYLE):
        fig, ax = new_figure()
        ax.bar(x - 0.2, table["reference_share"], 0.4, color=REFERENCE, label="reference")
        ax.bar(x + 0.2, table["current_share"], 0.4, color=GOOD, label="current")
        ax.set_xticks(x, table["bin"].astype(str), rotation=35, ha="right", fontsize=7)
        ax.set(
            title=f"{title} PSI {value:.3f} ({stability_status(value)})",
            xlabel="Bin (fixed on the reference)",
            ylabel="Share of the sample",
        )
        percent(ax.yaxis)
        ax.legend(loc="upper right")
    return fig


def importance_figure(importance: pd.Series, top: int = 20):
    """The ``top`` features by gain, as shares of the total gain.

    Parameters
    ----------
    importance : Series of float
        Feature name -> gain.
    top : int, default 20

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> fig = importance_figure(pd.Series({"dpd_max_90d": 3.0, "spend_sum_90d": 1.0}))
    >>> [t.get_text() for t in fig.axes[0].get_yticklabels()]
    ['spend_sum_90d', 'dpd_max_90d']
    """
    share = importance / importance.sum() if importance.sum() > 0 else importance * 0.0
    shown = share.sort_values(ascending=False).head(top).iloc[::-1]
    with rc_context(STYLE):
        fig, ax = new_figure(height=max(2.0, 0.9 + 0.19 * len(shown)))
        ax.barh(np.arange(len(shown)), shown.to_numpy(), color=GOOD)
        ax.set_yticks(np.arange(len(shown)), shown.index.astype(str), fontsize=7)
        ax.set(
            title=f"Top {len(shown)} of {len(importance)} features by gain",
            xlabel="Share of total gain",
        )
        ax.grid(axis="y", visible=False)
        percent(ax.xaxis)
    return fig


def vintage_figure(vintage: pd.DataFrame, max_legend: int = 12):
    """One curve per origination month: share of loans 30+ DPD by months on book.

    Parameters
    ----------
    vintage : DataFrame
        From :func:`bnpl_risk.evaluation.vintage_curves` (NaN cells, beyond
        the data, are not drawn).
    max_legend : int, default 12
        At most this many months are named in the legend, oldest to newest.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> v = pd.DataFrame({1: [0.0, 0.01], 2: [0.02, np.nan]},
    ...     index=pd.PeriodIndex(["2024-01", "2024-02"], freq="M"))
    >>> [len(line.get_xdata()) for line in vintage_figure(v).axes[0].get_lines()]
    [2, 1]
    """
    cohorts = len(vintage)
    colours = colormaps["viridis"](np.linspace(0.0, 0.9, max(cohorts, 1)))
    step = max(1, -(-cohorts // max_legend))
    with rc_context(STYLE):
        fig, ax = new_figure()
        for i, (month, row) in enumerate(vintage.iterrows()):
            row = row.dropna()
            named = i % step == 0 or i == cohorts - 1
            ax.plot(
                row.index.to_numpy(dtype=float),
                row.to_numpy(dtype=float),
                marker="o",
                ms=3,
                lw=1.3,
                color=colours[i],
                label=str(month) if named else "_nolegend_",
            )
        ax.set(
            title="Vintage curves by origination month",
            xlabel="Months on book",
            ylabel="Loans ever 30+ DPD (cumulative)",
        )
        ax.xaxis.get_major_locator().set_params(integer=True)
        percent(ax.yaxis)
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), title="originated")
    return fig


def economics_figure(backtest: pd.DataFrame):
    """From revenue to profit on the approved book: a waterfall of the ``Total`` row.

    Parameters
    ----------
    backtest : DataFrame
        From :func:`bnpl_risk.policy.backtest` (its ``Total`` row: revenue,
        funding_cost, realised_loss, collection_cost, profit).

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> bt = pd.DataFrame({"revenue": [100.0], "funding_cost": [20.0], "realised_loss": [50.0],
    ...     "collection_cost": [10.0], "profit": [20.0]}, index=["Total"])
    >>> ax = economics_figure(bt).axes[0]
    >>> [round(b.get_height()) for b in ax.patches], [round(b.get_y()) for b in ax.patches]
    ([100, -20, -50, -10, 20], [0, 100, 80, 30, 0])
    """
    total = backtest.loc["Total"]
    steps = [
        ("revenue", float(total["revenue"])),
        ("funding cost", -float(total["funding_cost"])),
        ("realised loss", -float(total["realised_loss"])),
        ("collection cost", -float(total["collection_cost"])),
    ]
    heights = np.array([v for _, v in steps] + [float(total["profit"])])
    # Each cost bar hangs from the running total left by the bars before it.
    bottoms = np.append(np.concatenate([[0.0], np.cumsum(heights[:-2])]), 0.0)
    colours = [GAIN, BAD, BAD, BAD, GAIN if heights[-1] >= 0 else BAD]
    revenue = heights[0]
    # Amounts go under the bars, not on them: a small cost bar has no room.
    names = [name for name, _ in steps] + ["profit"]
    # Costs as positive shares of revenue, profit signed (a loss is negative).
    shares = np.append(-heights[:-1], heights[-1]) / revenue if revenue > 0 else np.full(5, np.nan)
    ticks = [
        f"{name}\n{v:,.0f}" + (f"\n{share:.0%} of revenue" if i and np.isfinite(share) else "")
        for i, (name, v, share) in enumerate(zip(names, heights, shares, strict=True))
    ]
    with rc_context(STYLE):
        fig, ax = new_figure()
        ax.bar(np.arange(5), heights, bottom=bottoms, color=colours, alpha=0.85)
        ax.axhline(0, color="black", lw=0.8)
        # A cost bar hangs from the top of revenue; without this the top
        # edge sticks to the frame and revenue looks cut off.
        ax.use_sticky_edges = False
        ax.margins(y=0.08)
        ax.set_xticks(np.arange(5), ticks, fontsize=7)
        ax.set(title="Economics of the approved book (CNY)", ylabel="CNY")
        cny(ax.yaxis)
    return fig


def grade_economics_figure(backtest: pd.DataFrame):
    """Revenue, costs and profit per approved account, grade by grade.

    Shows where the funding cost and the losses outweigh the revenue: a
    riskier grade earns more fees per account but loses more.

    Parameters
    ----------
    backtest : DataFrame
        From :func:`bnpl_risk.policy.backtest`; grades with no approved
        account (declined grades) and the ``Total`` row are left out.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> bt = pd.DataFrame({"approved": [10, 0, 10], "revenue": [500.0, 0.0, 700.0],
    ...     "funding_cost": [100.0, 0.0, 100.0], "realised_loss": [50.0, 0.0, 900.0],
    ...     "collection_cost": [10.0, 0.0, 50.0], "profit": [340.0, 0.0, -350.0]},
    ...     index=["A", "E", "Total"])
    >>> ax = grade_economics_figure(bt).axes[0]
    >>> [t.get_text() for t in ax.get_xticklabels()], [round(b.get_height()) for b in ax.patches]
    (['A'], [50, -10, -5, -1])
    """
    grades = backtest.drop(index="Total")
    grades = grades[grades["approved"] > 0]
    per = grades[["revenue", "funding_cost", "realised_loss", "collection_cost", "profit"]].div(
        grades["approved"], axis=0
    )
    parts = (
        ("revenue", 1.0, GAIN),
        ("funding_cost", -1.0, "#fc8d59"),
        ("realised_loss", -1.0, BAD),
        ("collection_cost", -1.0, "#7f0000"),
    )
    x = np.arange(len(per))
    width = 0.8 / len(parts)
    with rc_context(STYLE):
        fig, ax = new_figure()
        for i, (column, sign, colour) in enumerate(parts):
            ax.bar(
                x + (i - 1.5) * width,
                sign * per[column].to_numpy(dtype=float),
                width,
                color=colour,
                label=column.replace("_", " "),
            )
        ax.plot(x, per["profit"], "D", color="black", ms=6, label="profit")
        ax.axhline(0, color="black", lw=0.8)
        ax.set_xticks(x, per.index.astype(str))
        ax.set(
            title="Per approved account, by grade (CNY)",
            xlabel="Grade (approved accounts only)",
            ylabel="CNY per approved account",
        )
        cny(ax.yaxis)
        ax.legend(loc="lower left", ncols=2)
    return fig


def frontier_figure(frontier: pd.DataFrame):
    """Approval rate against bad rate of approved as the cut-off grade moves, and profit.

    Parameters
    ----------
    frontier : DataFrame
        From :func:`bnpl_risk.policy.frontier` (index cut_off_grade, columns
        approval_rate, bad_rate_approved, profit).

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> f = pd.DataFrame({"approval_rate": [0.3, 0.8], "bad_rate_approved": [0.01, 0.04],
    ...     "exposure": [1e5, 3e5], "profit": [900.0, 1500.0]},
    ...     index=pd.Index(["A", "B"], name="cut_off_grade"))
    >>> [ax.get_title() for ax in frontier_figure(f).axes]
    ['Approval vs bad rate by cut-off', 'Profit by cut-off (CNY)']
    """
    grades = frontier.index.astype(str)
    x = np.arange(len(frontier))
    with rc_context(STYLE):
        fig, (left, right) = new_figure(width=7.2, ncols=2)
        left.plot(frontier["approval_rate"], frontier["bad_rate_approved"], "o-", color=BAD)
        # Cut-offs that change nothing (a grade the policy declines anyway)
        # share a point; one label names them all instead of overprinting.
        points = (
            frontier.assign(cut=grades)
            .dropna(subset=["approval_rate", "bad_rate_approved"])
            .groupby(["approval_rate", "bad_rate_approved"], sort=False)["cut"]
            .agg(", ".join)
        )
        for (a, b), cuts in points.items():
            left.annotate(
                f"up to {cuts}", (a, b), textcoords="offset points", xytext=(5, -9), fontsize=7
            )
        left.set(
            title="Approval vs bad rate by cut-off",
            xlabel="Approval rate",
            ylabel="Bad rate of approved",
        )
        left.margins(x=0.25, y=0.15)
        percent(left.xaxis)
        percent(left.yaxis)
        profit = frontier["profit"].to_numpy(dtype=float)
        right.bar(x, profit, color=np.where(profit >= 0, GAIN, BAD), alpha=0.85)
        right.axhline(0, color="black", lw=0.8)
        right.set_xticks(x, [f"up to {g}" for g in grades], fontsize=7)
        right.set(title="Profit by cut-off (CNY)", xlabel="Approve grades", ylabel="CNY")
        cny(right.yaxis)
    return fig
