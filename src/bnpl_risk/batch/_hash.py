"""A stable 64-bit hash of id text, vectorized over Arrow arrays.

Chunks must be the same on every machine and in every run (a resumed run
reuses finished parts), so the hash is defined here rather than taken from
Python's ``hash`` (salted per process) or a library whose algorithm may
change. Text is read as UTF-8 bytes in 8-byte little-endian words ``w_j``;
``h = mix(sum_j w_j * P**(j+1) ^ length * G)`` modulo 2**64, where ``mix``
is the splitmix64 finalizer. Zero padding adds nothing to the sum, so
strings of every length are hashed in one fixed-width pass per 64 bytes.

Ids are compared as the data contract reads them (see
``bnpl_risk.histories._coerce``): text as is, whole numbers as integers
(``7.0`` is ``"7"``), and empty text as missing, which hashes to 0.

Examples
--------
>>> import pyarrow as pa
>>> h = hash_ids(pa.array(["c1", "c2", None, "", "c1"]))
>>> bool(h[0] == h[4]), bool(h[0] != h[1]), h[2:4].tolist()
(True, True, [0, 0])
>>> len({int(hash_ids(pa.array(v))[0]) for v in (["7"], [7], [7.0])})
1
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["bucket_of", "hash_ids", "id_text"]

_P = np.uint64(0x100000001B3)
_G = np.uint64(0x9E3779B97F4A7C15)
_BLOCK = 64  # bytes hashed per pass; longer ids take further passes


def id_text(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    """Ids as Arrow text, as the contract reads them; empty text becomes missing."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if pa.types.is_dictionary(values.type):
        values = values.dictionary_decode()
    kind = values.type
    if pa.types.is_floating(kind):
        whole = pc.and_kleene(pc.is_finite(values), pc.equal(pc.round(values), values))
        if pc.all(pc.or_kleene(whole, pc.is_null(values))).as_py() is not False:
            values = values.cast(pa.int64())
    text = values if pa.types.is_large_string(kind) else values.cast(pa.large_string())
    return pc.if_else(pc.equal(text, ""), pa.scalar(None, pa.large_string()), text)


def hash_ids(values: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """Stable uint64 hash of each id (see the module docstring); 0 for a missing id."""
    binary = pc.fill_null(id_text(values).cast(pa.large_binary()), b"")
    lengths = pc.binary_length(binary).to_numpy(zero_copy_only=False).astype(np.uint64)
    total = np.zeros(len(binary), dtype=np.uint64)
    longest = int(lengths.max(initial=0))
    with np.errstate(over="ignore"):
        for start in range(0, longest, _BLOCK):
            total += _block_sum(binary, start, min(_BLOCK, longest - start))
        hashed = _mix(total ^ (lengths * _G))
    hashed[lengths == 0] = 0
    return hashed


def bucket_of(hashes: np.ndarray, n_buckets: int) -> np.ndarray:
    """Bucket in ``range(n_buckets)`` of each hash (int64)."""
    return (hashes % np.uint64(n_buckets)).astype(np.int64)


def _block_sum(binary: pa.Array, start: int, width: int) -> np.ndarray:
    """sum_j w_j * P**(j+1) over the words of bytes [start, start + width) of each value."""
    width = -(-width // 8) * 8
    pad = pa.scalar(b"\0" * width, pa.large_binary())
    joined = pc.binary_join_element_wise(
        pc.binary_slice(binary, start, start + width), pad, pa.scalar(b"", pa.large_binary())
    )
    fixed = pc.binary_slice(joined, 0, width)
    offsets = np.frombuffer(fixed.buffers()[1], dtype=np.int64, count=1, offset=fixed.offset * 8)
    data = np.frombuffer(fixed.buffers()[2], dtype=np.uint8)
    first = int(offsets[0])
    words = data[first : first + len(fixed) * width].view("<u8").reshape(len(fixed), width // 8)
    first_power = start // 8 + 1
    powers = np.cumprod(np.full(first_power + width // 8 - 1, _P, dtype=np.uint64))
    return (words * powers[first_power - 1 :]).sum(axis=1, dtype=np.uint64)


def _mix(h: np.ndarray) -> np.ndarray:
    """splitmix64's finalizer: every input bit moves every output bit."""
    h = (h ^ (h >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    h = (h ^ (h >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return h ^ (h >> np.uint64(31))
