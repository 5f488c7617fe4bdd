"""The timeline primitives agree with brute force at every clock resolution.

Large books use a coarse clock (a tick of a millisecond or a second, so that
customer and time share one int64 key); events and cuts inside one tick must
still be ordered by their exact nanoseconds.
"""

from unittest import mock

import numpy as np
from features_testkit import books, oracle
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bnpl_risk.features import FeatureBuilder, _assemble
from bnpl_risk.features._timeline import (
    NEVER,
    SECOND,
    Clock,
    Queries,
    Timeline,
    expand,
    padded,
    range_max,
    stab,
)

UNITS = st.sampled_from([1, 10**3, 10**6, SECOND])
# Times crowd into a few seconds so that ticks hold several events.
TIMES = st.integers(0, 3).map(lambda s: s * SECOND) | st.integers(0, 4 * SECOND)


@st.composite
def timelines(draw):
    n_cust = draw(st.integers(1, 3))
    events = draw(st.lists(st.tuples(st.integers(0, n_cust - 1), TIMES), max_size=25))
    queries = draw(st.lists(st.tuples(st.integers(0, n_cust - 1), TIMES), min_size=1, max_size=8))
    cust = np.array([c for c, _ in events], np.int64)
    t = np.array([x for _, x in events], np.int64)
    qc = np.array([c for c, _ in queries], np.int64)
    qt = np.array([x for _, x in queries], np.int64)
    # The span starts a second early, so that cuts up to a second before a query stay in it.
    clock = Clock(-SECOND, 5 * SECOND, draw(UNITS), 62 - max(int(n_cust - 1).bit_length(), 1))
    q, _ = Queries.sorted(clock, qc, qt)
    return clock, cust, t, q


# Shifts of whole ticks reuse the queries' keys; others need keys of their own.
SHIFTS = st.integers(-SECOND, SECOND) | st.sampled_from([0, -SECOND, SECOND, 10**6, -(10**3)])


@settings(max_examples=200, deadline=None)
@given(timelines(), SHIFTS, st.booleans())
def test_cuts_count_exactly_the_earlier_events(line_data, shift, inclusive):
    clock, cust, t, q = line_data
    line = Timeline(clock, cust, t)
    x = q.t + shift
    got = line.cut(q, shift, inclusive=inclusive) - line.start(q)
    before = (t[None, :] <= x[:, None]) if inclusive else (t[None, :] < x[:, None])
    want = (before & (cust[None, :] == q.cust[:, None])).sum(axis=1)
    np.testing.assert_array_equal(got, want)
    # Within a customer the timeline is in exact time order.
    same = line.keys[1:] >> clock.shift == line.keys[:-1] >> clock.shift
    assert (line.t[1:][same] >= line.t[:-1][same]).all()


@settings(max_examples=200, deadline=None)
@given(timelines(), st.lists(st.integers(0, 10**6), min_size=25, max_size=25))
def test_maxima_over_ranges_and_over_a_customers_first_events(line_data, values):
    clock, cust, t, q = line_data
    values = np.array(values[: len(t)], np.int64)
    line = Timeline(clock, cust, t)
    start, now = line.start(q), line.cut(q)
    ordered = line.take(values)
    pairs = zip(start, now, strict=True)
    want = np.array([ordered[a:b].max() if b > a else np.nan for a, b in pairs])
    np.testing.assert_array_equal(line.max_before(values, start, now), want)
    np.testing.assert_array_equal(range_max(padded(ordered), [start, now])[0], want)


@settings(max_examples=200, deadline=None)
@given(timelines(), st.lists(st.integers(0, 10**6), min_size=25, max_size=25), st.data())
def test_maxima_over_nested_ranges_with_a_common_end(line_data, values, data):
    clock, cust, t, q = line_data
    values = np.array(values[: len(t)], np.int64)
    line = Timeline(clock, cust, t)
    start, now = line.start(q), line.cut(q)
    shifts = sorted(data.draw(st.lists(st.integers(-2 * SECOND, 0), max_size=3)))
    edges = [start, *(np.maximum(line.cut(q, s), start) for s in shifts), now]
    ordered = line.take(values)
    got = range_max(padded(ordered), edges)
    assert got.shape == (len(edges) - 1, len(q))
    for j, lo in enumerate(edges[:-1]):
        pairs = zip(lo, now, strict=True)
        want = [ordered[a:b].max() if b > a else np.nan for a, b in pairs]
        np.testing.assert_array_equal(got[j], want)


@settings(max_examples=200, deadline=None)
@given(timelines(), st.data())
def test_interval_join_finds_every_query_inside_an_interval(line_data, data):
    clock, cust, t, q = line_data
    length = data.draw(
        st.lists(st.integers(0, 2 * SECOND) | st.just(-1), min_size=len(t), max_size=len(t))
    )
    end = np.where(np.array(length, np.int64) < 0, NEVER, t + np.array(length, np.int64))
    inclusive = data.draw(st.booleans())
    which, query = stab(clock, q.keys, q.t, cust, t, end, start_inclusive=inclusive)
    got = sorted(zip(which.tolist(), query.tolist(), strict=True))
    want = sorted(
        (i, j)
        for i in range(len(t))
        for j in range(len(q))
        if cust[i] == q.cust[j]
        and (t[i] <= q.t[j] if inclusive else t[i] < q.t[j])
        and q.t[j] <= end[i]
    )
    assert got == want


def test_expand_unrolls_ranges():
    owner, idx = expand(np.array([0, 3, 3]), np.array([2, 3, 5]))
    assert owner.tolist() == [0, 0, 2, 2]
    assert idx.tolist() == [0, 1, 3, 4]


def _coarse(book, longest_window):
    fine = _real_clock(book, longest_window)
    return Clock(fine.origin, fine.end, SECOND, fine.shift)


_real_clock = _assemble._clock


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(books(max_customers=2))
def test_features_are_the_same_on_a_one_second_clock(book):
    h, apps = book
    with mock.patch.object(_assemble, "_clock", _coarse):
        got = FeatureBuilder().fit_transform(h, apps)
    want = oracle(h, apps)
    for name in got.columns:
        np.testing.assert_allclose(got[name], want[name], rtol=1e-9, atol=1e-9, err_msg=name)


@settings(max_examples=200, deadline=None)
@given(timelines(), st.lists(SHIFTS, min_size=1, max_size=4), st.booleans())
def test_several_cuts_at_once_are_the_cuts_one_at_a_time(line_data, shifts, inclusive):
    clock, cust, t, q = line_data
    line = Timeline(clock, cust, t)
    got = line.cuts(q, tuple(shifts), inclusive)
    assert got.shape == (len(shifts), len(q))
    for row, shift in zip(got, shifts, strict=True):
        x = q.t + shift
        before = (t[None, :] <= x[:, None]) if inclusive else (t[None, :] < x[:, None])
        want = (before & (cust[None, :] == q.cust[:, None])).sum(axis=1)
        np.testing.assert_array_equal(row - line.start(q), want)


@settings(max_examples=200, deadline=None)
@given(timelines(), st.data())
def test_a_timeline_of_some_rows_is_the_timeline_of_those_rows_alone(line_data, data):
    clock, cust, t, q = line_data
    rows = np.flatnonzero(data.draw(st.lists(st.booleans(), min_size=len(t), max_size=len(t))))
    values = np.arange(len(t)) * 7
    some, alone = Timeline(clock, cust, t, rows), Timeline(clock, cust[rows], t[rows])
    np.testing.assert_array_equal(some.keys, alone.keys)
    np.testing.assert_array_equal(some.t, alone.t)
    np.testing.assert_array_equal(some.take(values), alone.take(values[rows]))
    np.testing.assert_array_equal(some.prefix([values]), alone.prefix([values[rows]]))
    np.testing.assert_array_equal(some.cuts(q, (0, -SECOND)), alone.cuts(q, (0, -SECOND)))
    # Rows name the events in the whole table.
    positions = np.arange(len(some))
    np.testing.assert_array_equal(some.rows(positions), rows[alone.rows(positions)])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 10**6), max_size=30), st.data())
def test_maxima_of_one_query_are_those_of_the_table(values, data):
    # One query reads a running max; several read the sparse table.
    ordered = padded(np.array(values, np.int64))
    end = data.draw(st.integers(0, len(values)))
    lo = sorted(data.draw(st.lists(st.integers(0, end), min_size=1, max_size=4)))
    edges = np.array([*lo, end])[:, None]
    alone = range_max(ordered, edges)
    # Beside a second query whose ranges span the whole table, so the table has every level.
    whole = np.zeros((len(edges), 1), np.int64)
    whole[-1] = len(values)
    beside = range_max(ordered, np.hstack((edges, whole)))
    np.testing.assert_array_equal(alone[:, 0], beside[:, 0])
    want = [max(values[a:end]) if end > a else np.nan for a in lo]
    np.testing.assert_array_equal(alone[:, 0], want)
