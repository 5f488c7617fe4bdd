"""Synthetic BNPL books with their true PD, and the committed sample."""

from bnpl_risk.datasets.sample import SAMPLE_DIR, load_sample
from bnpl_risk.datasets.synthetic import SEGMENTS, SyntheticBook, make_bnpl_histories

__all__ = ["SAMPLE_DIR", "SEGMENTS", "SyntheticBook", "load_sample", "make_bnpl_histories"]
