"""Invariants of validation under random corruptions of the tiny valid book."""

import numpy as np
import pandas as pd
import pytest
from conftest import make_book
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_validate_histories import DROP, TABLES, assert_accounted, edit

from bnpl_risk.errors import HistoryError
from bnpl_risk.histories import SCHEMAS, validate_histories

BOOK = make_book()[0]

# Values that break some check of some column, or make a key collide or
# dangle (existing ids), or are valid elsewhere (to shift times around).
VALUES = [
    None,
    "",
    "garbage",
    -1,
    0,
    1,
    2,
    4,
    2.5,
    1e9,
    np.inf,
    "2023-06-01",
    "2024-01-05",
    "2030-01-01 00:00:01",
    "c1",
    "c3",
    "o1",
    "o2",
    "o4",
    "bnpl",
    "upfront",
    "apparel",
    DROP,
]


@st.composite
def corruptions(draw):
    edits = []
    for _ in range(draw(st.integers(1, 4))):
        table = draw(st.sampled_from(TABLES))
        row = draw(st.integers(0, len(getattr(BOOK, table)) - 1))
        column = draw(st.sampled_from(SCHEMAS[table].names))
        edits.append((table, row, column, draw(st.sampled_from(VALUES))))
    # Drops go by position in the original table, so apply each row's once.
    drops = {(t, r) for t, r, _, v in edits if v is DROP}
    return [e for e in edits if e[3] is not DROP] + [(t, r, None, DROP) for t, r in drops]


@pytest.mark.slow
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(corruptions())
def test_rows_are_accounted_for_and_what_is_kept_is_valid(edits):
    corrupted = edit(BOOK, *edits)
    before = {n: f.copy(deep=True) for n, f in corrupted.tables().items()}
    result = validate_histories(corrupted, on_error="reject")

    assert_accounted(result, corrupted)
    for name, frame in corrupted.tables().items():
        pd.testing.assert_frame_equal(frame, before[name])

    # What is kept passes again unchanged: no kept row points at a rejected one.
    again = validate_histories(result.histories, on_error="reject")
    assert again.rejects.empty
    for name, frame in result.histories.tables().items():
        pd.testing.assert_frame_equal(getattr(again.histories, name), frame)

    # A loan is kept whole or not at all.
    kept = result.histories.installments["loan_id"].value_counts()
    given_ = corrupted.installments["loan_id"].astype(str).value_counts()
    assert (kept == given_.reindex(kept.index)).all()

    # Raise mode raises exactly when reject mode rejects something.
    try:
        validate_histories(corrupted)
    except HistoryError:
        assert not result.rejects.empty
    else:
        assert result.rejects.empty
