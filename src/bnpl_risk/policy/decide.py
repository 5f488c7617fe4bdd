"""Apply a :class:`Policy` to scored applications: eligibility, limit, products, reasons."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from bnpl_risk.errors import HistoryError, format_keys
from bnpl_risk.policy.config import Policy
from bnpl_risk.policy.reasons import RULE_REASONS, Reason

__all__ = ["FACTS", "Outcome", "apply_policy", "decide_arrays"]

#: Facts about the shopper the policy reads, beside ``pd`` and ``grade``.
FACTS = ("age_years", "kyc_level", "current_dpd", "account_age_days", "spend_sum_90d")

#: Rule reasons in the order they are reported.
_RULE_ORDER = (
    "H_AGE",
    "H_KYC",
    "H_OVERDUE",
    "H_BLOCKED",
    "M_BUSTOUT",
    "G_GRADE",
    "L_MIN",
    "L_NEW",
    "L_AFFORD",
    "L_RISK",
)
#: Bit j of a row's rule hits stands for ``_RULE_ORDER[j]``.
_RULE_BITS = 1 << np.arange(len(_RULE_ORDER), dtype=np.int64)


def apply_policy(
    policy: Policy,
    scored: pd.DataFrame,
    *,
    blocked: Iterable[str] = (),
    model_reasons: Sequence[Sequence[Reason]]
    | Callable[[np.ndarray], Sequence[Sequence[Reason]]]
    | None = None,
) -> pd.DataFrame:
    """Decide every scored application under ``policy``.

    Hard rules first (age, real-name verification, currently overdue, block
    list), then the malicious-consumption guard for young accounts, then the
    grade's base limit and products, capped by affordability, the expected
    loss budget and the new-user band, rounded down to ``limit_step``.

    Parameters
    ----------
    policy : Policy
    scored : DataFrame
        Indexed by application_id, with ``customer_id``, ``pd``, ``grade``,
        the :data:`FACTS` and the features named in
        ``policy.bustout_thresholds``. A missing age or verification level
        declines (the rule cannot be shown to pass); a missing DPD or spend
        counts as none.
    blocked : iterable of str
        Customer ids on the block list.
    model_reasons : sequence of sequences of Reason, or callable, optional
        The model's adverse reasons per row, most adverse first; they
        follow the rule reasons on declines and reduced limits. A callable
        is given the positions of the rows that show them
        (:attr:`Outcome.wants_model_reasons`) and returns their reasons, so
        costly explanations are computed for those rows only.

    Returns
    -------
    DataFrame indexed like ``scored`` with approved, limit, products,
    reason_codes, reasons_en, reasons_zh and policy_version.

    Examples
    --------
    >>> scored = pd.DataFrame({"customer_id": ["c1", "c2"], "pd": [0.01, 0.02],
    ...     "grade": ["B", "B"], "age_years": [30, 16], "kyc_level": [3, 3],
    ...     "current_dpd": [0, 0], "account_age_days": [400, 400],
    ...     "spend_sum_90d": [3000.0, 3000.0], "velocity_amount_7d_vs_90d": [1.0, 1.0],
    ...     "new_bnpl_loans_30d": [0, 0], "resellable_share_30d": [0.0, 0.0]},
    ...     index=pd.Index(["a1", "a2"], name="application_id"))
    >>> out = apply_policy(Policy.default(), scored)
    >>> out[["approved", "limit"]].values.tolist()
    [[True, 6000.0], [False, 0.0]]
    >>> out.loc["a1", "reason_codes"], out.loc["a2", "reason_codes"]
    (('L_AFFORD',), ('H_AGE',))
    """
    needed = ("customer_id", "pd", "grade", *FACTS, *policy.bustout_thresholds)
    missing = [c for c in needed if c not in scored.columns]
    if missing:
        raise HistoryError(
            f"apply_policy: scored applications lack the columns {missing}; expected "
            f"customer_id, pd, grade and the facts {list(FACTS)} plus the bust-out features "
            f"{list(policy.bustout_thresholds)}. Build them with FeatureBuilder and score them."
        )
    outcome = decide_arrays(
        policy,
        {c: scored[c].to_numpy(dtype=float) for c in (*FACTS, "pd", *policy.bustout_thresholds)},
        scored["grade"].to_numpy(dtype=object),
        scored["customer_id"].isin(set(blocked)).to_numpy(),
        keys=scored.index,
    )
    if callable(model_reasons):
        wanted = np.flatnonzero(outcome.wants_model_reasons)
        found = model_reasons(wanted) if len(wanted) else []
        model_reasons = [()] * len(scored)
        for row, reasons_of_row in zip(wanted, found, strict=True):
            model_reasons[row] = reasons_of_row
    reasons = outcome.reasons(model_reasons, policy.max_reasons)
    return pd.DataFrame(
        {
            "approved": outcome.approved,
            "limit": outcome.limit,
            "products": outcome.products,
            "reason_codes": [tuple(r.code for r in rs) for rs in reasons],
            "reasons_en": [tuple(r.en for r in rs) for rs in reasons],
            "reasons_zh": [tuple(r.zh for r in rs) for rs in reasons],
            "policy_version": policy.version,
        },
        index=scored.index,
    )


@dataclass(frozen=True)
class Outcome:
    """Decisions of :func:`decide_arrays`, before the model's reasons join in.

    Attributes
    ----------
    approved : ndarray of bool
    limit : ndarray of float
        0 where declined.
    products : list of tuple
        Empty where declined.
    explain : ndarray of bool
        Declined or limit reduced: the rows that carry reasons.
    rules : ndarray of bool, shape (n, number of rule reasons)
        Which rule reasons hit, in their reporting order.
    """

    approved: np.ndarray
    limit: np.ndarray
    products: list
    explain: np.ndarray
    rules: np.ndarray

    @property
    def wants_model_reasons(self) -> np.ndarray:
        """Rows whose reasons the model's would complete: declines, and reduced limits
        with a rule reason."""
        return ~self.approved | (self.explain & self.rules.any(axis=1))

    def reasons(
        self, model_reasons: Sequence[Sequence[Reason]] | None, k: int
    ) -> list[list[Reason]]:
        """Rule reasons in their fixed order, then the model's, at most ``k`` per row."""
        bits = self.rules.dot(_RULE_BITS)
        model = model_reasons if model_reasons is not None else [()] * len(self.explain)
        return [
            list((*_rule_reasons(b), *m)[:k]) if explain else []
            for explain, b, m in zip(self.explain.tolist(), bits.tolist(), model, strict=True)
        ]


@functools.cache
def _rule_reasons(hits: int) -> tuple[Reason, ...]:
    """Reasons of the rules whose bits are set in ``hits`` (bit j: ``_RULE_ORDER[j]``).

    Few distinct sets of hits occur, so each is listed once.
    """
    return tuple(RULE_REASONS[code] for j, code in enumerate(_RULE_ORDER) if hits >> j & 1)


def decide_arrays(
    policy: Policy,
    facts: Mapping[str, np.ndarray],
    grade: np.ndarray,
    blocked: np.ndarray,
    *,
    keys: Sequence | None = None,
) -> Outcome:
    """The rules of :func:`apply_policy` on 1-D arrays: the core it and one-row paths share.

    Parameters
    ----------
    policy : Policy
    facts : mapping of str to ndarray of float
        ``pd``, the :data:`FACTS` and the features of
        ``policy.bustout_thresholds``, one value per application.
    grade : ndarray of str
    blocked : ndarray of bool
        Whether each application's customer is on the block list.
    keys : sequence, optional
        Names of the applications, for error messages.

    Returns
    -------
    Outcome

    Examples
    --------
    >>> facts = {"pd": np.array([0.01]), "age_years": np.array([30.0]),
    ...     "kyc_level": np.array([3.0]), "current_dpd": np.array([0.0]),
    ...     "account_age_days": np.array([400.0]), "spend_sum_90d": np.array([3000.0]),
    ...     "velocity_amount_7d_vs_90d": np.array([1.0]),
    ...     "new_bnpl_loans_30d": np.array([0.0]), "resellable_share_30d": np.array([0.0])}
    >>> out = decide_arrays(Policy.default(), facts, np.array(["B"]), np.array([False]))
    >>> out.approved.tolist(), out.limit.tolist()
    ([True], [6000.0])
    >>> [[r.code for r in rs] for rs in out.reasons(None, k=4)]
    [['L_AFFORD']]
    """
    grade = np.asarray(grade, dtype=object)
    unknown = sorted(set(grade).difference(policy.grade_limit))
    if unknown:
        names = np.arange(len(grade)) if keys is None else np.asarray(keys)
        rows = format_keys(names[np.isin(grade, unknown)])
        raise HistoryError(
            f"apply_policy: grades {unknown} are not in the policy's grades "
            f"{sorted(policy.grade_limit)} (rows {rows}). Use a policy for this grade scale."
        )
    f = {name: np.asarray(values, dtype=float) for name, values in facts.items()}
    pd_ = f["pd"]

    hit = {
        "H_AGE": ~(f["age_years"] >= policy.min_age),
        "H_KYC": ~(f["kyc_level"] >= policy.min_kyc_level),
        "H_OVERDUE": f["current_dpd"] > policy.max_current_dpd,  # NaN (none) is not over
        "H_BLOCKED": np.asarray(blocked, dtype=bool),
    }
    young = f["account_age_days"] < policy.bustout_max_age_days
    fast = np.zeros(len(grade), dtype=bool)
    for name, threshold in policy.bustout_thresholds.items():
        fast |= f[name] >= threshold
    hit["M_BUSTOUT"] = young & fast

    base = np.array([policy.grade_limit[g] for g in grade], dtype=float)
    products = [tuple(policy.grade_products[g]) for g in grade]
    hit["G_GRADE"] = (base <= 0) | np.array([len(p) == 0 for p in products], dtype=bool)

    # fmax skips NaN: no recorded spend affords the new-user minimum.
    afford = np.fmax(policy.affordability_multiple * f["spend_sum_90d"], policy.new_user_min)
    with np.errstate(divide="ignore", over="ignore"):
        risk_cap = policy.loss_budget / (pd_ * policy.lgd)
    thin = ~(f["account_age_days"] >= policy.thin_file_days)
    new_cap = np.where(thin, policy.new_user_max, np.inf)
    # In minimum.reduce's order (the same bits for +-0), without stacking the arrays.
    binding = np.minimum(np.minimum(afford, risk_cap), new_cap)
    limit = np.minimum(np.minimum(np.minimum(base, afford), risk_cap), new_cap)
    if policy.bustout_action == "cap":
        limit = np.where(hit["M_BUSTOUT"], np.minimum(limit, policy.bustout_cap), limit)
    # The tolerance keeps 7499.999... (float division) at 7,500.
    limit = np.floor(limit / policy.limit_step + 1e-9) * policy.limit_step

    declined_before_limit = np.logical_or.reduce(
        [hit[c] for c in ("H_AGE", "H_KYC", "H_OVERDUE", "H_BLOCKED", "G_GRADE")]
        + [hit["M_BUSTOUT"] & (policy.bustout_action == "decline")]
    )
    hit["L_MIN"] = ~declined_before_limit & (limit < policy.min_limit)
    approved = ~declined_before_limit & ~hit["L_MIN"]
    reduced = approved & (limit < base)
    hit["L_NEW"] = reduced & (new_cap == binding)
    hit["L_AFFORD"] = reduced & ~hit["L_NEW"] & (afford == binding)
    hit["L_RISK"] = reduced & ~hit["L_NEW"] & ~hit["L_AFFORD"] & (risk_cap == binding)

    return Outcome(
        approved=approved,
        limit=np.where(approved, limit, 0.0),
        products=[p if a else () for p, a in zip(products, approved.tolist(), strict=True)],
        explain=~approved | reduced,
        rules=np.array([hit[c] for c in _RULE_ORDER]).T,
    )
