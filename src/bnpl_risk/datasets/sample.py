"""The small synthetic book committed with the repository, ready to read."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from bnpl_risk.errors import HistoryError
from bnpl_risk.histories import Histories
from bnpl_risk.histories.io import read_histories

__all__ = ["SAMPLE_DIR", "load_sample"]

SAMPLE_DIR = Path(__file__).resolve().parents[3] / "data" / "sample"
"""Where the repository keeps the sample (``data/sample/``)."""


def load_sample(path=None) -> tuple[Histories, pd.DataFrame | None]:
    """Read the committed sample book (5,000 customers, seed 42).

    It is ``make_bnpl_histories(5000, seed=42)`` as written by
    ``bnpl-risk generate --seed 42 --out data/sample`` (Parquet, about
    4 MB); the true PD is not stored: regenerate the book to get it.

    Parameters
    ----------
    path : str or Path, optional
        Another histories directory to read instead of :data:`SAMPLE_DIR`.

    Returns
    -------
    histories : Histories
    applications : DataFrame or None
        None when the directory holds no applications file.

    Raises
    ------
    HistoryError
        If the directory or one of its tables is missing or unreadable.

    Examples
    --------
    >>> import tempfile
    >>> from bnpl_risk.datasets import make_bnpl_histories
    >>> from bnpl_risk.histories import write_histories
    >>> book = make_bnpl_histories(50, seed=3)
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     _ = write_histories(book.histories, tmp, book.applications, format="parquet")
    ...     histories, applications = load_sample(tmp)
    >>> len(histories.customers), len(applications) == len(book.applications)
    (50, True)
    """
    directory = SAMPLE_DIR if path is None else Path(path)
    if not directory.is_dir():
        raise HistoryError(
            f"load_sample: no directory {directory}. The sample ships with the repository "
            "in data/sample/ (not with an installed wheel); write one with "
            "`bnpl-risk generate --seed 42 --out data/sample`, or pass path= to another directory."
        )
    return read_histories(directory)
