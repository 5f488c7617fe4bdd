"""Fast key arithmetic on id columns: integer codes, duplicates, lookups.

Hashing tens of millions of strings is the main cost of validating a large
book. pandas' Index lookups convert Arrow-backed strings to Python objects
first; Arrow's own hash kernels (``dictionary_encode``, ``index_in``) do not,
and they read pandas 2 object columns as well.

Examples
--------
>>> import pandas as pd
>>> ids = pd.Series(["b", "a", None, "b"])
>>> codes(ids).tolist()
[0, 1, -1, 0]
>>> duplicated([codes(ids)]).tolist()
[True, False, False, True]
>>> positions(ids, pd.Series(["a", "b"])).tolist()
[1, 0, -1, 1]
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc


def codes(values: pd.Series) -> np.ndarray:
    """Integer code per value (equal values, equal codes); -1 where missing."""
    if pd.api.types.is_numeric_dtype(values.dtype):
        return pd.factorize(values)[0].astype(np.int64)
    encoded = pc.dictionary_encode(_arrow(values))
    if isinstance(encoded, pa.ChunkedArray):
        # Chunks share one dictionary after unifying, so indices are codes.
        encoded = encoded.unify_dictionaries()
        indices = pa.chunked_array(
            [chunk.indices for chunk in encoded.chunks], type=encoded.type.index_type
        )
        return _filled(indices)
    return _filled(encoded.indices)


def duplicated(parts: list[np.ndarray]) -> np.ndarray:
    """Rows whose key occurs more than once; all copies marked.

    ``parts`` are the :func:`codes` of the key columns; a key with a missing
    part is never a duplicate.
    """
    complete = np.logical_and.reduce([p >= 0 for p in parts])
    combined = parts[0]
    for part in parts[1:]:
        # Codes are below the row count, so the product fits in int64.
        combined = combined * (part.max(initial=0) + 1) + part
    out = np.zeros(len(combined), dtype=bool)
    out[complete] = pd.Series(combined[complete]).duplicated(keep=False).to_numpy()
    return out


def positions(ids: pd.Series, among: pd.Series) -> np.ndarray:
    """Position of each id in ``among`` (whose values are unique); -1 if absent or missing."""
    value_set = _arrow(among)
    if isinstance(value_set, pa.ChunkedArray):
        value_set = value_set.combine_chunks()
    found = pc.index_in(_arrow(ids), value_set=value_set)
    return _filled(found)


def _arrow(values: pd.Series) -> pa.Array | pa.ChunkedArray:
    """Text values as Arrow strings, zero-copy when they are Arrow-backed already."""
    array = pa.array(values, from_pandas=True)
    if not pa.types.is_string(array.type) and not pa.types.is_large_string(array.type):
        array = array.cast(pa.large_string())
    return array


def _filled(indices) -> np.ndarray:
    return pc.fill_null(indices, -1).to_numpy(zero_copy_only=False).astype(np.int64)
