"""A content hash of tables: which data a model was trained on, or a batch run read.

Examples
--------
>>> import pandas as pd
>>> a = pd.DataFrame({"x": [1, 2]})
>>> fingerprint({"t": a}) == fingerprint({"t": a.copy()})
True
>>> fingerprint({"t": a}) == fingerprint({"t": a.assign(x=[1, 3])})
False
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

import pandas as pd

__all__ = ["fingerprint"]


def fingerprint(tables: Mapping[str, pd.DataFrame]) -> str:
    """sha256 over table names, column names, dtypes and every value, in row order."""
    digest = hashlib.sha256()
    for name in sorted(tables):
        frame = tables[name]
        digest.update(f"{name}|{list(frame.columns)}|{list(map(str, frame.dtypes))}".encode())
        if len(frame):
            digest.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return digest.hexdigest()
