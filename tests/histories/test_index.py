"""Key arithmetic on id columns, whatever their storage (Arrow chunks, objects)."""

import pandas as pd
import pytest

from bnpl_risk.histories._index import codes, duplicated, positions


def storages(values):
    """The same ids as object, as pandas text, and as pandas text in several Arrow chunks."""
    text = pd.Series(values).astype(str).where(pd.Series(values).notna())
    halves = pd.concat([text.iloc[:3], text.iloc[3:]]).reset_index(drop=True)
    return [pd.Series(values, dtype=object), text, halves]


@pytest.mark.parametrize("ids", storages(["b", "a", None, "b", "c", "a"]))
def test_codes_agree_with_pandas_factorize(ids):
    expected, _ = pd.factorize(pd.Series(ids, dtype=object))
    assert codes(ids).tolist() == expected.tolist()


@pytest.mark.parametrize("ids", storages(["b", "a", None, "b", "c", None]))
def test_duplicates_mark_every_copy_but_never_missing_keys(ids):
    assert duplicated([codes(ids)]).tolist() == [True, False, False, True, False, False]
    number = pd.Series([1, 1, 1, 2, 1, 1])
    assert duplicated([codes(ids), codes(number)]).tolist() == [False] * 6


@pytest.mark.parametrize("among", storages(["x", "c", "a", "b", "y", "z"]))
def test_positions_of_ids_among_unique_values(among):
    ids = pd.Series(["a", "q", None, "z"])
    assert positions(ids, among).tolist() == [2, -1, -1, 5]
