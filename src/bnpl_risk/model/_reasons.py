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
    """The ``k`` largest positive contributions of each row, largest first.

    ``contributions`` is (rows, features) without the bias column. Rows
    with fewer than ``k`` positive contributions get fewer lines; ties keep
    feature order.
    """
    n, p = contributions.shape
    k = min(k, p)
    order = np.argsort(-contributions, axis=1, kind="stable")[:, :k]
    values = np.take_along_axis(contributions, order, axis=1)
    adverse = values > 0
    rows = np.broadcast_to(np.arange(n)[:, None], (n, k))[adverse]
    ranks = np.broadcast_to(np.arange(1, k + 1), (n, k))[adverse]
    features = order[adverse]
    texts = np.array(
        [
            (known[m].reason_code, known[m].reason_en, known[m].reason_zh)
            if m in known
            else tuple(t.format(name=m) for t in _GENERIC)
            for m in names
        ],
        dtype=object,
    ).reshape(p, 3)[features]
    return pd.DataFrame(
        {
            "row": rows,
            "rank": ranks,
            "feature": np.asarray(names, dtype=object)[features],
            "contribution": values[adverse],
            "reason_code": texts[:, 0],
            "reason_en": texts[:, 1],
            "reason_zh": texts[:, 2],
        },
        index=index[rows],
        columns=REASON_COLUMNS,
    )
