"""Synthetic BNPL books with their true PD, and the committed sample."""

from bnpl_risk.datasets.synthetic import SEGMENTS, SyntheticBook, make_bnpl_histories

__all__ = ["SEGMENTS", "SyntheticBook", "make_bnpl_histories"]
