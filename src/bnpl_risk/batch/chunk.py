"""Validate, score and decide one chunk of whole customers: the unit of batch work.

Shared by :func:`~bnpl_risk.batch.score_book` (one process per chunk) and
:mod:`bnpl_risk.spark` (one pandas function call per group), so both give
the same decisions and rejects.

Each input frame carries a ``_row`` column: the row's position in its
input table, which the rejects report instead of the position in the chunk.

Rows are validated in reject mode (:func:`~bnpl_risk.histories.validate_histories`,
:func:`~bnpl_risk.histories.validate_applications`). An application is
rejected, not scored, when its customer is unknown or rejected, and also
when any of its customer's orders or installments was rejected
(``history_rejected``): features of a partial history could pass a
customer whose overdue loan was dropped.

Examples
--------
>>> from bnpl_risk.datasets import make_bnpl_histories
>>> from bnpl_risk.scorer import RiskScorer
>>> book = make_bnpl_histories(150, seed=2)
>>> scorer = RiskScorer(random_state=0).fit(book.histories, book.applications)
>>> frames = {t: f.assign(_row=range(len(f)))
...           for t, f in {**book.histories.tables(),
...                        "applications": book.applications}.items()}
>>> frames["applications"].loc[0, "customer_id"] = "nobody"
>>> result = score_chunk(frames, scorer, reasons=False)
>>> result.rejects[["table", "row", "check"]].to_dict("records")
[{'table': 'applications', 'row': 0, 'check': 'foreign_key'}]
>>> result.counts["applications"]["rows_scored"] == len(book.applications) - 1
True
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

from bnpl_risk.batch._sources import ROW, TABLES
from bnpl_risk.histories import Histories, validate_applications, validate_histories
from bnpl_risk.histories._coerce import coerce_table
from bnpl_risk.histories._rejects import REJECT_COLUMNS, Failures, combine
from bnpl_risk.scorer import RiskScorer

__all__ = [
    "DECISION_COLUMNS",
    "DECISION_SCHEMA",
    "REJECT_SCHEMA",
    "ROW",
    "TABLES",
    "ChunkResult",
    "score_chunk",
]


_TEXT_LIST = pa.list_(pa.string())
DECISION_SCHEMA = pa.schema(
    [
        ("application_id", pa.string()),
        ("customer_id", pa.string()),
        ("pd", pa.float64()),
        ("score", pa.float64()),
        ("grade", pa.string()),
        ("approved", pa.bool_()),
        ("limit", pa.float64()),
        ("products", _TEXT_LIST),
        ("reason_codes", _TEXT_LIST),
        ("reasons_en", _TEXT_LIST),
        ("reasons_zh", _TEXT_LIST),
        ("policy_version", pa.string()),
    ]
)
"""Columns of the decisions written by batch scoring (``RiskScorer.decide`` plus the id)."""
DECISION_COLUMNS = DECISION_SCHEMA.names

REJECT_SCHEMA = pa.schema([(c, pa.int64() if c == "row" else pa.string()) for c in REJECT_COLUMNS])
"""Columns of the rejects, as :func:`~bnpl_risk.histories.validate_histories` gives them."""

_HISTORY_REJECTED = (
    "customer's history has rejected rows (orders or installments failed validation); "
    "features of a partial history could be wrong"
)


@dataclass(frozen=True)
class ChunkResult:
    """Decisions and rejects of one chunk.

    Attributes
    ----------
    decisions : DataFrame
        Columns :data:`DECISION_COLUMNS`, one row per scored application,
        in input order.
    rejects : DataFrame
        One row per (rejected row, failed check), ``row`` being the row's
        position in its input table; sorted by table, then row.
    counts : dict
        Per table: ``rows_in``, ``rows_scored`` (kept and used) and
        ``rows_rejected`` (distinct rows), with in = scored + rejected.
    """

    decisions: pd.DataFrame
    rejects: pd.DataFrame
    counts: dict[str, dict[str, int]]


def score_chunk(
    frames: Mapping[str, pd.DataFrame], scorer: RiskScorer, *, reasons: bool = True
) -> ChunkResult:
    """Validate one chunk in reject mode, then decide its valid applications.

    Parameters
    ----------
    frames : mapping of str to DataFrame
        ``customers``, ``orders``, ``installments`` and ``applications``
        of whole customers, raw or typed, each with a ``_row`` column.
        Not modified.
    scorer : RiskScorer
        Fitted.
    reasons : bool, default True
        Passed to :meth:`RiskScorer.decide`.

    Returns
    -------
    ChunkResult
    """
    checked = validate_histories(
        Histories(frames["customers"], frames["orders"], frames["installments"]),
        on_error="reject",
    )
    apps = validate_applications(frames["applications"], checked, on_error="reject")
    partial = _partial_histories(frames, checked.rejects)
    failures = Failures("applications", apps.applications)
    failures.add(
        apps.applications["customer_id"].isin(partial).to_numpy(bool),
        "customer_id",
        "history_rejected",
        "no rejected orders or installments",
        _HISTORY_REJECTED,
    )
    scored_apps = apps.applications[~failures.rejected]
    rejects = combine(
        [
            _global_rows(checked.rejects, frames),
            _global_rows(apps.rejects, frames),
            _global_rows(failures.rejects(), {"applications": apps.applications}),
        ],
        list(TABLES),
    )
    decisions = _decisions(scorer, checked.histories, scored_apps, reasons)
    return ChunkResult(decisions, rejects, _counts(frames, rejects))


def empty_decisions() -> pd.DataFrame:
    """A decisions frame with no rows and the written dtypes."""
    return DECISION_SCHEMA.empty_table().to_pandas()


def _decisions(scorer, histories, applications, reasons) -> pd.DataFrame:
    if len(applications) == 0:
        return empty_decisions()
    out = scorer.decide(histories, applications, reasons=reasons)
    out = out.rename_axis("application_id").reset_index()
    return out[DECISION_COLUMNS]


def _partial_histories(frames, rejects: pd.DataFrame) -> np.ndarray:
    """Customer ids (as text) with a rejected order or installment."""
    ids = []
    for table in ("orders", "installments"):
        rows = rejects.loc[rejects["table"] == table, "row"].unique()
        if len(rows):
            raw = frames[table].iloc[np.sort(rows)]
            ids.append(coerce_table(raw, table).frame["customer_id"].dropna().to_numpy(object))
    return np.unique(np.concatenate(ids)) if ids else np.zeros(0, dtype=object)


def _global_rows(rejects: pd.DataFrame, frames) -> pd.DataFrame:
    """Rejects with ``row`` mapped from the position in the chunk to the input row."""
    if len(rejects) == 0:
        return rejects
    out = rejects.copy()
    for table, group in rejects.groupby("table", sort=False):
        global_rows = frames[table][ROW].to_numpy()
        out.loc[group.index, "row"] = global_rows[group["row"].to_numpy()]
    return out[REJECT_COLUMNS]


def _counts(frames, rejects: pd.DataFrame) -> dict[str, dict[str, int]]:
    rejected = rejects.drop_duplicates(["table", "row"])["table"].value_counts()
    counts = {}
    for table in TABLES:
        n_in = len(frames[table])
        n_rejected = int(rejected.get(table, 0))
        counts[table] = {
            "rows_in": n_in,
            "rows_scored": n_in - n_rejected,
            "rows_rejected": n_rejected,
        }
    return counts
