"""Batch scoring of a whole book on one machine: chunked, parallel, resumable.

See :func:`score_book` (``bnpl-risk score``) and, for a book beyond one
machine, :mod:`bnpl_risk.spark`.
"""

from bnpl_risk.batch.book import (
    DEFAULT_CHUNK_CUSTOMERS,
    BatchResult,
    ResumeError,
    read_rejects,
    read_scores,
    score_book,
)
from bnpl_risk.batch.chunk import ChunkResult, score_chunk

__all__ = [
    "DEFAULT_CHUNK_CUSTOMERS",
    "BatchResult",
    "ChunkResult",
    "ResumeError",
    "read_rejects",
    "read_scores",
    "score_book",
    "score_chunk",
]
