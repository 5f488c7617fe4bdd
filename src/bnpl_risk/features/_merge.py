"""Join sorted ids by merging: tables exported in key order need no hash table.

Ids are compared as Arrow compares text, byte by byte, so "sorted" means
what ``pyarrow.compute.greater`` says.
"""

from __future__ import annotations

import numba
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc


def increasing(text: pa.Array, strictly: bool) -> bool:
    """Whether ``text`` (no nulls) is in increasing order, each value above the one before
    if ``strictly``.

    Examples
    --------
    >>> increasing(pa.array(["a", "b", "b"]), strictly=False)
    True
    >>> increasing(pa.array(["a", "b", "b"]), strictly=True)
    False
    """
    n = len(text)
    if n < 2 or text.null_count:
        return n < 2 and not text.null_count
    above = (pc.greater if strictly else pc.greater_equal)(text.slice(1), text.slice(0, n - 1))
    return pc.all(above).as_py()


def merge_positions(values: pa.Array, universe: pa.Array) -> np.ndarray:
    """Position of each of ``values`` (increasing) in ``universe`` (strictly increasing),
    -1 when absent; both ``large_string`` without nulls, checked by :func:`increasing`.

    Examples
    --------
    >>> ids = pa.array(["o1", "o2", "o4"], pa.large_string())
    >>> merge_positions(pa.array(["o1", "o1", "o3", "o4"], pa.large_string()), ids).tolist()
    [0, 0, -1, 2]
    """
    return _merge(*_buffers(values), *_buffers(universe))


def _buffers(text: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Offsets (one more than values) and bytes of a ``large_string`` array, without copies."""
    _, offsets, data = text.buffers()
    offsets = np.frombuffer(offsets, np.int64)[text.offset : text.offset + len(text) + 1]
    data = np.zeros(0, np.uint8) if data is None else np.frombuffer(data, np.uint8)
    return offsets, data


@numba.njit(cache=True, nogil=True)
def _compare(a: np.ndarray, a0: int, a1: int, b: np.ndarray, b0: int, b1: int) -> int:
    """-1, 0 or 1 as ``a[a0:a1]`` sorts before, equal to or after ``b[b0:b1]`` (bytes)."""
    for k in range(min(a1 - a0, b1 - b0)):
        if a[a0 + k] != b[b0 + k]:
            return -1 if a[a0 + k] < b[b0 + k] else 1
    return (a1 - a0 > b1 - b0) - (a1 - a0 < b1 - b0)


@numba.njit(cache=True, nogil=True)
def _merge(v_offsets, v_data, u_offsets, u_data) -> np.ndarray:
    out = np.full(len(v_offsets) - 1, -1, np.int64)
    j, m = 0, len(u_offsets) - 1
    for i in range(len(out)):
        start, stop = v_offsets[i], v_offsets[i + 1]
        while j < m and _compare(u_data, u_offsets[j], u_offsets[j + 1], v_data, start, stop) < 0:
            j += 1
        if j < m and _compare(u_data, u_offsets[j], u_offsets[j + 1], v_data, start, stop) == 0:
            out[i] = j
    return out
