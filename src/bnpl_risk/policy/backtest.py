"""Backtest a policy on scored, labelled applications; compare two; trace the frontier.

Only mature applications (label 0 or 1) enter the figures; immature ones
are counted and reported, never counted as good. Every approved account
keeps an average outstanding balance (the *exposure*) of ``utilisation`` x
its limit over the ``horizon_days`` of the label, revolving it through the
plans it is offered in proportion to ``plan_mix``; a plan whose balance
lasts ``plan_days`` turns over ``horizon_days / plan_days`` times:

- volume = exposure x horizon_days / balance-weighted plan days
- revenue = volume x (merchant discount + plan fee)
- funding cost = exposure x horizon_days x cost of funds / 365
- expected loss = exposure x PD x LGD; realised loss = exposure x bad x LGD
- profit = revenue - funding cost - realised loss - collection cost x bads
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from bnpl_risk.errors import HistoryError
from bnpl_risk.policy.config import PLANS, Economics, Policy
from bnpl_risk.policy.decide import apply_policy

__all__ = ["backtest", "compare", "frontier"]

_SUMS = (
    "applications",
    "approved",
    "bads_approved",
    "exposure",
    "volume",
    "expected_loss",
    "realised_loss",
    "revenue",
    "funding_cost",
    "collection_cost",
    "profit",
)


def _accounts(policy, scored, labels, economics):
    """Per mature application: decision and its money figures; and the immature count."""
    if not labels.index.equals(scored.index):
        labels = labels.reindex(scored.index)
        if labels.isna().all() and len(scored):
            raise HistoryError(
                "backtest: no label matches a scored application_id; pass labels indexed by "
                "the same application_id as the scored frame (make_labels does)."
            )
    mature = labels.notna().to_numpy()
    scored, labels = scored[mature], labels[mature].astype(int)
    decisions = apply_policy(policy, scored)
    approved = decisions["approved"].to_numpy()
    drawn = decisions["limit"].to_numpy() * economics.utilisation
    mix = np.array(
        [
            [economics.plan_mix[p] if p in offered else 0.0 for p in PLANS]
            for offered in decisions["products"]
        ]
    ).reshape(-1, len(PLANS))
    mix = mix / np.where(mix.sum(axis=1, keepdims=True) > 0, mix.sum(axis=1, keepdims=True), 1)
    fee = mix @ np.array([economics.plan_fee[p] for p in PLANS])
    turns = mix @ np.array([1.0 / economics.plan_days[p] for p in PLANS]) * economics.horizon_days
    bad = labels.to_numpy() == 1
    acc = pd.DataFrame(
        {
            "grade": scored["grade"].to_numpy(),
            "applications": 1,
            "approved": approved.astype(int),
            "bads_approved": (approved & bad).astype(int),
            "exposure": drawn,
            "volume": drawn * turns,
            "expected_loss": drawn * scored["pd"].to_numpy() * economics.lgd,
            "realised_loss": drawn * bad * economics.lgd,
            "revenue": drawn * turns * (economics.merchant_discount + fee),
            "funding_cost": drawn * economics.horizon_days * economics.cost_of_funds / 365.0,
            "collection_cost": (approved & bad) * economics.collection_cost,
        },
        index=scored.index,
    )
    acc["profit"] = (
        acc["revenue"] - acc["funding_cost"] - acc["realised_loss"] - acc["collection_cost"]
    )
    return acc, int((~mature).sum())


def _summarise(acc: pd.DataFrame) -> pd.DataFrame:
    table = acc.groupby("grade", sort=True)[list(_SUMS)].sum()
    table.loc["Total"] = acc[list(_SUMS)].sum()
    table["approval_rate"] = table["approved"] / table["applications"].where(
        table["applications"] > 0
    )
    table["bad_rate_approved"] = table["bads_approved"] / table["approved"].where(
        table["approved"] > 0
    )
    table["profit_per_approved"] = table["profit"] / table["approved"].where(table["approved"] > 0)
    return table


def backtest(
    policy: Policy,
    scored: pd.DataFrame,
    labels: pd.Series,
    *,
    economics: Economics | None = None,
) -> pd.DataFrame:
    """Run ``policy`` over scored, labelled applications.

    Parameters
    ----------
    policy : Policy
    scored : DataFrame
        What :func:`apply_policy` reads (pd, grade, facts), indexed by
        application_id.
    labels : Series
        1 bad, 0 good, ``<NA>`` immature, indexed by application_id.
    economics : Economics, optional
        Defaults to ``Economics()``.

    Returns
    -------
    DataFrame
        One row per grade and a ``Total`` row: applications, approved,
        bads_approved, exposure, expected_loss, realised_loss, revenue,
        funding_cost, collection_cost, profit, approval_rate,
        bad_rate_approved, profit_per_approved. ``attrs["immature"]`` holds
        the number of immature applications left out.

    Examples
    --------
    >>> scored = pd.DataFrame({"customer_id": ["c1", "c2", "c3"], "pd": [0.01, 0.02, 0.3],
    ...     "grade": ["B", "B", "E"], "age_years": 30, "kyc_level": 3, "current_dpd": 0,
    ...     "account_age_days": 400, "spend_sum_90d": 5000.0, "velocity_amount_7d_vs_90d": 1.0,
    ...     "new_bnpl_loans_30d": 0, "resellable_share_30d": 0.0},
    ...     index=pd.Index(["a1", "a2", "a3"], name="application_id"))
    >>> labels = pd.Series([0, 1, pd.NA], index=scored.index, dtype="Int64")
    >>> bt = backtest(Policy.default(), scored, labels)
    >>> bt.loc["Total", ["applications", "approved", "bads_approved"]].tolist()
    [2, 2, 1]
    >>> bt.attrs["immature"]
    1
    """
    acc, immature = _accounts(policy, scored, labels, economics or Economics())
    table = _summarise(acc)
    table.attrs["immature"] = immature
    return table


def compare(
    champion: Policy,
    challenger: Policy,
    scored: pd.DataFrame,
    labels: pd.Series,
    *,
    economics: Economics | None = None,
) -> pd.DataFrame:
    """Swap-in and swap-out sets of a challenger policy, and the change in totals.

    Returns
    -------
    DataFrame
        Rows ``swap_in`` (approved only by the challenger), ``swap_out``
        (only by the champion), ``both`` and ``neither`` with their
        ``applications`` and ``bad_rate``; and rows ``champion``,
        ``challenger``, ``change`` with approval_rate, bad_rate_approved,
        exposure, realised_loss and profit.
    """
    economics = economics or Economics()
    a, immature = _accounts(champion, scored, labels, economics)
    b, _ = _accounts(challenger, scored, labels, economics)
    label = labels.reindex(a.index).astype(float)
    sets = {
        "swap_in": (a["approved"] == 0) & (b["approved"] == 1),
        "swap_out": (a["approved"] == 1) & (b["approved"] == 0),
        "both": (a["approved"] == 1) & (b["approved"] == 1),
        "neither": (a["approved"] == 0) & (b["approved"] == 0),
    }
    rows = {
        name: {
            "applications": int(mask.sum()),
            "bad_rate": float(label[mask].mean()) if mask.any() else np.nan,
        }
        for name, mask in sets.items()
    }
    totals = {}
    for name, acc in (("champion", a), ("challenger", b)):
        t = _summarise(acc).loc["Total"]
        totals[name] = t[
            ["approval_rate", "bad_rate_approved", "exposure", "realised_loss", "profit"]
        ]
    totals["change"] = totals["challenger"] - totals["champion"]
    table = pd.concat([pd.DataFrame(rows).T, pd.DataFrame(totals).T])
    table.attrs["immature"] = immature
    return table


def frontier(
    policy: Policy,
    scored: pd.DataFrame,
    labels: pd.Series,
    *,
    economics: Economics | None = None,
) -> pd.DataFrame:
    """Approval rate vs bad rate of approved (and profit) as the grade cut-off moves.

    For each grade in the policy, best first, every worse grade is declined.

    Returns
    -------
    DataFrame
        One row per cut-off grade: approval_rate, bad_rate_approved,
        exposure, profit.
    """
    grades = list(policy.grade_limit)
    rows = {}
    for i, cut in enumerate(grades):
        limits = {g: (v if j <= i else 0.0) for j, (g, v) in enumerate(policy.grade_limit.items())}
        total = backtest(
            replace(policy, grade_limit=limits), scored, labels, economics=economics
        ).loc["Total"]
        rows[cut] = total[["approval_rate", "bad_rate_approved", "exposure", "profit"]]
    table = pd.DataFrame(rows).T
    table.index.name = "cut_off_grade"
    return table
