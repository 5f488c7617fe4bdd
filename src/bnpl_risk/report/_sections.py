"""One builder per report section: ReportData in, figures, tables and notes out.

Each section has a stable ``id`` (the HTML anchor the tests and links rely
on). A part the caller left out becomes a note saying what to pass, never
an error: a report on a model without a backtest is still a report.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import cast

from bnpl_risk.evaluation import calibration_table, grade_table
from bnpl_risk.monitoring import csi, psi_table, stability_status
from bnpl_risk.report import plots
from bnpl_risk.report._figures import data_uri
from bnpl_risk.report._tables import (
    Column,
    Table,
    count,
    flag_negative,
    money,
    number,
    pct,
    table,
    text,
)
from bnpl_risk.report.data import ReportData

# Longer tables would bury the rest of the report; the CSI table folds the
# remaining features away instead of dropping them.
TOP_REASONS = 12
TOP_FEATURES = 15


@dataclass(frozen=True)
class Image:
    uri: str
    alt: str


@dataclass(frozen=True)
class Card:
    label: str
    value: str
    hint: str = ""


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    lead: str
    images: tuple[Image, ...] = ()
    tables: tuple[Table, ...] = ()
    cards: tuple[Card, ...] = ()
    notes: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()
    wide: bool = False


@dataclass(frozen=True)
class _Draw:
    """Turns figures into inline images at one resolution."""

    dpi: int

    def __call__(self, fig, alt: str) -> Image:
        return Image(data_uri(fig, self.dpi), alt)


def _headline(data: ReportData) -> Mapping:
    # ReportData.__post_init__ fills summary in when it is not given.
    return cast(Mapping, data.summary)


def _not_available(what: str, field_name: str, source: str) -> str:
    return f"{what} not available: pass ReportData.{field_name} ({source}) to show it."


def build_sections(data: ReportData, dpi: int) -> list[Section]:
    """Every section, in report order."""
    draw = _Draw(dpi)
    builders = (
        _summary,
        _roc_ks,
        _calibration,
        _score_distribution,
        _grades,
        _stability,
        _importance,
        _vintage,
        _backtest,
        _frontier,
        _policy,
    )
    return [build(data, draw) for build in builders]


def _summary(data: ReportData, draw: _Draw) -> Section:
    s = _headline(data)
    cards = (
        Card("AUC", number(s["auc"]), "area under the ROC curve"),
        Card("Gini", number(s["gini"]), "2 x AUC - 1"),
        Card("KS", number(s["ks"]), f"at {s['ks_at']:.4g}"),
        Card("Brier", number(s["brier"], 4), "mean squared error of PD"),
        Card("ECE", pct(s["ece"], 2), "calibration error, 10 bins"),
        Card("Applications", count(s["n"]), "mature, labelled"),
        Card("Bad rate", pct(s["bad_rate"], 2), f"{count(s['n_bad'])} bads"),
        Card("Mean PD", pct(s["mean_pd"], 2), "predicted"),
        Card("Immature", count(s["immature"]), "window still open: left out"),
    )
    return Section(
        "summary",
        "Summary",
        "Headline discrimination and calibration on the held-out applications. Immature "
        "applications (outcome window not closed) are counted, never treated as good.",
        cards=cards,
        wide=True,
    )


def _roc_ks(data: ReportData, draw: _Draw) -> Section:
    return Section(
        "roc-ks",
        "Discrimination: ROC and KS",
        "How well the PD ranks bads above goods. The KS is the widest gap between the "
        "cumulative score distributions of bads and goods.",
        images=(
            draw(plots.roc_figure(data.y, data.pd_), "ROC curve"),
            draw(plots.ks_figure(data.y, data.score), "KS curve"),
        ),
        wide=True,
    )


def _calibration(data: ReportData, draw: _Draw) -> Section:
    t = calibration_table(data.y, data.pd_)
    columns = [
        Column("n", "Applications", count),
        Column("mean_pd", "Mean PD", lambda v: pct(v, 2)),
        Column("bad_rate", "Bad rate", lambda v: pct(v, 2)),
        Column("abs_gap", "Gap", lambda v: pct(v, 2)),
    ]
    return Section(
        "calibration",
        "Calibration",
        "Observed bad rate against predicted PD in ten equal-frequency PD bins (1 = lowest "
        f"PDs). ECE {pct(_headline(data)['ece'], 2)}.",
        images=(draw(plots.calibration_figure(t), "Calibration plot"),),
        tables=(table(t, columns, index=Column("bin", "Bin", text)),),
    )


def _score_distribution(data: ReportData, draw: _Draw) -> Section:
    return Section(
        "score-distribution",
        "Score distribution",
        "Scores of goods and bads, each as a share of its class: the less they overlap, "
        "the better the score separates them.",
        images=(draw(plots.score_distribution_figure(data.y, data.score), "Score distribution"),),
    )


def _grades(data: ReportData, draw: _Draw) -> Section:
    t = grade_table(data.y, data.pd_, data.grade, data.grades)
    monotone = t.attrs["monotone"]
    # "yes" / "no" per grade; the Total row has no reversal of its own.
    shown = t.assign(reversal=t["reversal"].map({True: "yes", False: "no"}).fillna(""))
    columns = [
        Column("count", "Applications", count),
        Column("share", "Share", pct),
        Column("bads", "Bads", count),
        Column("mean_pd", "Mean PD", lambda v: pct(v, 2)),
        Column("bad_rate", "Bad rate", lambda v: pct(v, 2)),
        Column("reversal", "Reversal", text, lambda v: "flag" if v == "yes" else ""),
    ]
    verdict = (
        "Bad rates rise monotonically from the best grade to the worst."
        if monotone
        else "NOT monotone: a grade has a lower bad rate than the grade before it (flagged)."
    )
    return Section(
        "grades",
        "Grades",
        "Observed bad rate per grade of the master scale, best grade first. " + verdict,
        images=(draw(plots.grade_figure(t), "Bad rate by grade"),),
        tables=(table(shown, columns, index=Column("grade", "Grade", text)),),
        notes=(f"Monotone: {'yes' if monotone else 'no'}.",),
    )


def _stability(data: ReportData, draw: _Draw) -> Section:
    images, tables, notes, missing = [], [], [], []
    if data.reference_score is None:
        missing.append(
            _not_available("Score PSI", "reference_score", "scores of the reference sample")
        )
    else:
        t = psi_table(data.reference_score, data.score)
        value = float(t["psi"].sum())
        images.append(draw(plots.psi_figure(t), "Score PSI"))
        notes.append(f"Score PSI {value:.3f}: {stability_status(value)}.")
    if data.reference_features is None:
        missing.append(
            _not_available("CSI", "reference_features and current_features", "feature matrices")
        )
    else:
        c = csi(data.reference_features, data.current_features)
        c = c.sort_values("psi", ascending=False, kind="stable").set_index("feature")
        columns = [
            Column("kind", "Kind", text),
            Column("psi", "CSI", number),
            Column("status", "Status", text, str),  # CSS classes stable/watch/act
        ]
        index = Column("feature", "Feature", text)
        statuses = c["status"].value_counts()
        counts = ", ".join(f"{statuses.get(s, 0)} {s}" for s in ("act", "watch", "stable"))
        tables.append(
            table(
                c.head(TOP_FEATURES),
                columns,
                index=index,
                caption=f"CSI of {len(c)} features ({counts}), least stable first",
            )
        )
        if len(c) > TOP_FEATURES:
            tables.append(
                table(
                    c.iloc[TOP_FEATURES:],
                    columns,
                    index=index,
                    caption=f"The other {len(c) - TOP_FEATURES} features",
                    collapsed=True,
                )
            )
    return Section(
        "stability",
        "Stability",
        "Population stability of the score (PSI) and of every feature (CSI) against the "
        "reference sample: below 0.10 stable, 0.10 to 0.25 watch, above 0.25 act.",
        images=tuple(images),
        tables=tuple(tables),
        notes=tuple(notes),
        missing=tuple(missing),
    )


def _importance(data: ReportData, draw: _Draw) -> Section:
    images, tables, missing = [], [], []
    if data.importance is None:
        missing.append(_not_available("Feature importance", "importance", "feature -> gain"))
    else:
        images.append(draw(plots.importance_figure(data.importance), "Feature importance"))
    if data.top_reasons is None:
        missing.append(_not_available("Top reasons", "top_reasons", "reason counts among declines"))
    else:
        reasons = data.top_reasons.sort_values("count", ascending=False, kind="stable")
        # Shares of all reasons given, before the table is cut to the most frequent.
        reasons = reasons.assign(share=reasons["count"] / max(reasons["count"].sum(), 1))
        shown = reasons.head(TOP_REASONS)
        tables.append(
            table(
                shown.set_index("reason_code"),
                [
                    Column("text_en", "Reason", text),
                    Column("text_zh", "原因", text),
                    Column("count", "Declines", count),
                    Column("share", "Share", pct),
                ],
                index=Column("reason_code", "Code", text),
                caption=f"Reasons given with declines: the {len(shown)} most frequent of "
                f"{len(reasons)}",
            )
        )
    return Section(
        "importance",
        "Feature importance and top reasons",
        "What the model leans on (gain), and the reasons shoppers are told when declined.",
        images=tuple(images),
        tables=tuple(tables),
        missing=tuple(missing),
    )


def _vintage(data: ReportData, draw: _Draw) -> Section:
    lead = (
        "Share of each origination month's loans that reached 30+ days past due by k "
        "months on book; a later curve above an earlier one means newer loans go bad faster."
    )
    if data.vintage is None:
        missing = (
            _not_available("Vintage curves", "vintage", "bnpl_risk.evaluation.vintage_curves"),
        )
        return Section("vintage", "Vintage curves", lead, missing=missing)
    return Section(
        "vintage",
        "Vintage curves",
        lead,
        images=(draw(plots.vintage_figure(data.vintage), "Vintage curves"),),
    )


def _backtest(data: ReportData, draw: _Draw) -> Section:
    lead = (
        "The policy run over the held-out applications: who it approves, how many of them "
        "go bad, and what they earn and cost. Funding cost is the cost of carrying the "
        "receivable; losses are drawn balance x LGD on bad accounts."
    )
    if data.backtest is None:
        missing = (_not_available("Backtest", "backtest", "bnpl_risk.policy.backtest"),)
        return Section("backtest", "Policy backtest and economics", lead, missing=missing)
    bt = data.backtest
    columns = [
        Column("applications", "Applications", count),
        Column("approved", "Approved", count),
        Column("approval_rate", "Approval rate", pct),
        Column("bads_approved", "Bads approved", count),
        Column("bad_rate_approved", "Bad rate approved", lambda v: pct(v, 2)),
        Column("exposure", "Exposure", money),
        Column("revenue", "Revenue", money),
        Column("funding_cost", "Funding cost", money),
        Column("expected_loss", "Expected loss", money),
        Column("realised_loss", "Realised loss", money),
        Column("collection_cost", "Collection cost", money),
        Column("profit", "Profit", money, flag_negative),
        Column("profit_per_approved", "Profit / approved", money),
    ]
    total = bt.loc["Total"]
    notes = []
    if total["revenue"] > 0:
        notes.append(
            f"Of {money(total['revenue'])} CNY revenue, funding takes "
            f"{pct(total['funding_cost'] / total['revenue'])}, realised losses "
            f"{pct(total['realised_loss'] / total['revenue'])} and collections "
            f"{pct(total['collection_cost'] / total['revenue'])}, leaving "
            f"{money(total['profit'])} CNY profit."
        )
    return Section(
        "backtest",
        "Policy backtest and economics",
        lead,
        images=(
            draw(plots.economics_figure(bt), "Economics waterfall"),
            draw(plots.grade_economics_figure(bt), "Economics per approved account by grade"),
        ),
        tables=(table(bt, columns, index=Column("grade", "Grade", text), caption="CNY"),),
        notes=tuple(notes),
        wide=True,
    )


def _frontier(data: ReportData, draw: _Draw) -> Section:
    lead = (
        "Moving the cut-off grade: approving grades up to X trades approval rate against "
        "the bad rate of the approved, and changes profit."
    )
    if data.frontier is None:
        missing = (_not_available("Frontier", "frontier", "bnpl_risk.policy.frontier"),)
        return Section("frontier", "Approval vs bad-rate frontier", lead, missing=missing)
    columns = [
        Column("approval_rate", "Approval rate", pct),
        Column("bad_rate_approved", "Bad rate approved", lambda v: pct(v, 2)),
        Column("exposure", "Exposure", money),
        Column("profit", "Profit", money, flag_negative),
    ]
    return Section(
        "frontier",
        "Approval vs bad-rate frontier",
        lead,
        images=(draw(plots.frontier_figure(data.frontier), "Frontier"),),
        tables=(table(data.frontier, columns, index=Column("cut", "Approve up to", text)),),
    )


def _policy(data: ReportData, draw: _Draw) -> Section:
    lead = "The policy as a credit committee signs it off."
    if data.policy_table is None:
        missing = (_not_available("Policy table", "policy_table", "Policy.table()"),)
        return Section("policy", "Policy", lead, missing=missing)
    columns = [
        Column("section", "Section", text),
        Column("item", "Item", text),
        Column("setting", "Setting", text),
    ]
    return Section("policy", "Policy", lead, tables=(table(data.policy_table, columns),))
