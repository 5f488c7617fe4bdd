"""Top adverse contributions per row, with the registry's reason texts."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

# For a feature the registry does not know.
_GENERIC = (
    "R_MODEL",
    "{name} counted against the application",
    "{name} 对本次评估产生了不利影响",
)

REASON_COLUMNS = ["row", "rank", "feature", "contribution", "reason_code", "reason_en", "reason_zh"]


def top_adverse(
    contributions: np.ndarray, names: tuple[str, ...], index: pd.Index, k: int, known: Mapping
) -> pd.DataFrame:
    """The ``k`` largest positive contributions of each row, largest first, one line each.

    ``contributions`` is (rows, features) without the bias column. Rows
    with fewer than ``k`` positive contributions get fewer lines; ties keep
    feature order.
    """
    rows, ranks, features, values = _adverse(contributions, k)
    texts = np.array([reason_text(names[j], known) for j in features], dtype=object).reshape(-1, 3)
    return pd.DataFrame(
        {
            "row": rows,
            "rank": ranks,
            "feature": np.asarray(names, dtype=object)[features],
            "contribution": values,
            "reason_code": texts[:, 0],
            "reason_en": texts[:, 1],
            "reason_zh": texts[:, 2],
        },
        index=index[rows],
        columns=REASON_COLUMNS,
    )


def adverse_texts(
    contributions: np.ndarray, names: tuple[str, ...], k: int, known: Mapping
) -> list[list[tuple[str, str, str]]]:
    """The same reasons as :func:`top_adverse`, as (code, English, Chinese) lists per row.

    No frame: a checkout decision reads the texts of a few features only.
    """
    rows, _, features, _ = _adverse(contributions, k)
    out: list[list[tuple[str, str, str]]] = [[] for _ in range(len(contributions))]
    for row, j in zip(rows.tolist(), features.tolist(), strict=True):
        out[row].append(reason_text(names[j], known))
    return out


def reason_text(name: str, known: Mapping) -> tuple[str, str, str]:
    """(code, English, Chinese) of feature ``name``, or the generic model reason."""
    spec = known.get(name)
    if spec is None:
        return tuple(t.format(name=name) for t in _GENERIC)
    return spec.reason_code, spec.reason_en, spec.reason_zh


def _adverse(contributions: np.ndarray, k: int):
    """(row, rank, feature position, value) of the ``k`` largest positive values per row."""
    n, p = contributions.shape
    k = min(k, p)
    # Array methods, not NumPy's function wrappers: a checkout decision has one row.
    order = (-contributions).argsort(axis=1, kind="stable")[:, :k]
    values = contributions[np.arange(n)[:, None], order]
    adverse = values > 0
    rows, ranks = adverse.nonzero()  # row by row, as boolean indexing goes
    return rows, ranks + 1, order[adverse], values[adverse]
