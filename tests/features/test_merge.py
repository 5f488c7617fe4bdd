"""Sorted ids joined by merging find what a hash join finds."""

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from hypothesis import given, settings
from hypothesis import strategies as st

from bnpl_risk.features._merge import increasing, merge_positions

# Short texts over a few characters, so that prefixes, repeats and non-ASCII bytes meet.
TEXTS = st.text(alphabet="ab9é", max_size=3)


def _large(values):
    return pa.array(values, pa.large_string())


@settings(deadline=None)  # the first call compiles the merge
@given(st.lists(TEXTS), st.lists(TEXTS))
def test_merging_finds_what_a_hash_join_finds(values, universe):
    values = _large(sorted(values, key=str.encode))
    universe = _large(sorted(set(universe), key=str.encode))
    assert increasing(values, strictly=False)
    assert increasing(universe, strictly=True)
    want = pc.index_in(values, value_set=universe).fill_null(-1).to_numpy(zero_copy_only=False)
    np.testing.assert_array_equal(merge_positions(values, universe), want)


@given(st.lists(TEXTS, min_size=2))
def test_increasing_is_the_byte_order(values):
    text = _large(values)
    encoded = [v.encode() for v in values]
    assert increasing(text, strictly=False) == (encoded == sorted(encoded))
    assert increasing(text, strictly=True) == (
        encoded == sorted(encoded) and len(set(encoded)) == len(encoded)
    )


def test_a_slice_is_read_from_its_own_offset():
    universe = _large(["x", "a", "b", "c"]).slice(1)
    assert merge_positions(_large(["b", "c", "d"]), universe).tolist() == [1, 2, -1]
