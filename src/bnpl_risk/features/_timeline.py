"""Per-customer event timelines and the cuts each application's ``as_of`` makes in them.

Every feature is an aggregate over a customer's events before a cut time
(``as_of``, or ``as_of`` minus a window). Events are sorted once by
(customer, time); a cut is a position found by binary search, so a window
sum is a difference of two prefix sums and a window maximum the larger of
two entries of a sparse table: no loop over customers or applications.

Customer and time share one sortable ``int64`` key (:class:`Clock`): the
customer code in the high bits, the time in ticks below. A tick is the
finest unit among ns, us, ms and s that fits; events and cuts within one
tick are then settled by their exact times, so every comparison is exact to
the nanosecond whatever the tick.

Sums are taken over integers (cents, counts, seconds). Integer prefix sums
may wrap around on a large book, but a difference of two of them is exact
whenever the true window total fits in ``int64``, and it depends only on
the customer's own events: one application built alone and in a batch give
identical values.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bnpl_risk.errors import HistoryError

DAY = 86_400 * 10**9
SECOND = 10**9
#: Time of an event that has not happened (an installment never paid).
NEVER = np.iinfo(np.int64).max
#: What ``datetime64[ns]`` NaT reads as in int64.
NAT = np.iinfo(np.int64).min


@dataclass(frozen=True)
class Clock:
    """Packs (customer code, time in ns) into a sortable ``int64`` key.

    Attributes
    ----------
    origin : int
        Earliest time keyed, in ns.
    end : int
        Latest time keyed, in ns.
    unit : int
        Nanoseconds per tick.
    shift : int
        Bits of the key that hold the tick.
    """

    origin: int
    end: int
    unit: int
    shift: int

    @classmethod
    def spanning(cls, n_customers: int, spans: list[tuple[int, int]]) -> Clock:
        """The finest clock whose keys hold every customer code and every time of ``spans``.

        ``spans`` are (earliest, latest) times in ns, one pair per group of times.
        """
        lows, highs = zip(*spans, strict=True) if spans else ((0,), (0,))
        origin, end = min(lows), max(highs)
        shift = 62 - max(int(n_customers - 1).bit_length(), 1)
        for unit in (1, 10**3, 10**6, SECOND):
            if (end - origin) // unit < (1 << shift):
                return cls(origin, end, unit, shift)
        raise HistoryError(
            f"timestamps span {(end - origin) // DAY} days, from "
            f"{np.datetime64(origin, 'ns')} to {np.datetime64(end, 'ns')}; the feature builder "
            f"handles at most {((1 << shift) * SECOND) // DAY} days for {n_customers} customers. "
            "Correct the outlying dates (often a year typed wrong) or score fewer customers "
            "per call."
        )

    def offtick(self, t: np.ndarray) -> np.ndarray:
        """Whether each time falls inside a tick rather than on its start."""
        if self.unit == 1:
            return np.zeros(len(t), bool)
        since = t - self.origin
        # Twice as fast as %: NumPy divides by a constant with a multiply and shift.
        return since // self.unit * self.unit != since

    def key(self, cust: np.ndarray, t: np.ndarray) -> np.ndarray:
        """Sortable key of each (customer code, time); times must lie in [origin, end]."""
        key = t - self.origin
        if self.unit > 1:
            key //= self.unit
        key += np.left_shift(cust, self.shift, dtype=np.int64)
        return key


@dataclass(frozen=True)
class Queries:
    """Applications sorted by (customer, as_of): the cut times of every feature.

    Attributes
    ----------
    clock : Clock
    cust : ndarray of int64
        Customer code of each application, ascending.
    t : ndarray of int64
        ``as_of`` in ns, ascending within a customer.
    keys : ndarray of int64
        ``clock.key(cust, t)``, ascending.
    customers : ndarray of int64
        The distinct customer codes, ascending.
    customer : ndarray of int64
        Position of each application's customer in ``customers``.
    offtick : ndarray of bool
        Whether ``as_of`` falls inside a tick (not on its boundary), where
        the key alone cannot order it against events of the same tick.
    """

    clock: Clock
    cust: np.ndarray
    t: np.ndarray
    keys: np.ndarray
    customers: np.ndarray
    customer: np.ndarray
    offtick: np.ndarray

    @classmethod
    def sorted(
        cls, clock: Clock, cust: np.ndarray, t: np.ndarray
    ) -> tuple[Queries, np.ndarray | None]:
        """Queries in key order, and the input position of each (None if already in order)."""
        keys = clock.key(cust, t)
        order = None if _ascending(keys) else keys.argsort(kind="stable")
        if order is not None:
            cust, t, keys = cust[order], t[order], keys[order]
        # Where each customer's queries begin: the running count numbers the customers.
        head = np.empty(len(cust), bool)
        head[:1] = True
        np.not_equal(cust[1:], cust[:-1], out=head[1:])
        customer = head.cumsum() - 1
        offtick = clock.offtick(t)
        return cls(clock, cust, t, keys, cust[head], customer, offtick), order

    def __len__(self) -> int:
        return len(self.t)

    def __getitem__(self, part: slice) -> Queries:
        """The queries ``part`` (a slice starting and ending on customer boundaries)."""
        customer = self.customer[part]
        first, end = (int(customer[0]), int(customer[-1]) + 1) if len(customer) else (0, 0)
        return Queries(
            self.clock,
            self.cust[part],
            self.t[part],
            self.keys[part],
            self.customers[first:end],
            customer - first,
            self.offtick[part],
        )


class Timeline:
    """One kind of event of many customers, sorted by (customer, exact time).

    Parameters
    ----------
    clock : Clock
    cust : ndarray of int
        Customer code of each event.
    t : ndarray of int64
        Time of each event in ns, within the clock's span.
    rows : ndarray of int, optional
        The positions of the events in ``cust`` and ``t`` (and in the columns
        :meth:`take` reads), when only some rows of a table are events; all
        rows by default. Sorting and picking the rows are then one gather.
    """

    def __init__(
        self, clock: Clock, cust: np.ndarray, t: np.ndarray, rows: np.ndarray | None = None
    ) -> None:
        if rows is not None:
            cust, t = cust[rows], t[rows]
        keys = clock.key(cust, t)
        # Tables often come sorted by customer and time already; then no sort.
        order = None if _ascending(keys) else keys.argsort(kind="stable")
        if order is not None:
            keys = keys[order]
        # On a one-nanosecond tick (one customer's book) no time is inside a tick.
        self.subtick = clock.unit > 1 and bool(clock.offtick(t).any())
        if self.subtick:
            order = np.arange(len(keys)) if order is None else order
            _sort_within_ticks(order, keys, t)
        self.clock = clock
        self.keys = keys
        self.t = t if order is None else t[order]
        if rows is not None:
            order = rows if order is None else rows[order]
        self.order = order

    def __len__(self) -> int:
        return len(self.keys)

    def take(self, values: np.ndarray) -> np.ndarray:
        """``values`` (one per table row, input order) of the events, in timeline order."""
        return values if self.order is None else values[self.order]

    def rows(self, positions: np.ndarray) -> np.ndarray:
        """Input rows of the events at timeline ``positions``."""
        return positions if self.order is None else self.order[positions]

    def prefix(self, columns: list[np.ndarray]) -> np.ndarray:
        """:func:`prefix_sums` of integer ``columns`` (one value per table row, input order),
        in timeline order.
        """
        values = np.asarray(columns, dtype=np.int64)
        return prefix_sums(values if self.order is None else values[:, self.order])

    def start(self, q: Queries) -> np.ndarray:
        """Position of each query's customer's first event (where it would be, if none)."""
        first = self.keys.searchsorted(q.customers << self.clock.shift, "left")
        return first[q.customer]

    def cut(self, q: Queries, shift: int = 0, inclusive: bool = False) -> np.ndarray:
        """Position after the query's customer's events at times ``< x`` (``<= x`` if inclusive).

        ``x`` is ``as_of + shift`` (``shift`` in ns, within the clock's span).
        Positions index the timeline, so ``cut(q, s) - start(q)`` counts the
        events and ``cut(q, s1) - cut(q, s0)`` those in ``[as_of + s0, as_of + s1)``.
        """
        return self.cuts(q, (shift,), inclusive)[0]

    def cuts(self, q: Queries, shifts: tuple[int, ...], inclusive: bool = False) -> np.ndarray:
        """:meth:`cut` for each of ``shifts`` at once, shape ``(len(shifts), len(q))``.

        One binary search for all the cuts: a window's features need several.
        """
        clock = self.clock
        shift = np.array(shifts, np.int64)[:, None]
        if clock.unit == 1:
            key, unsure = q.keys + shift, None
        elif not (shift % clock.unit).any():
            # Whole ticks (any whole day): the queries' keys shift, no new key.
            key, unsure = q.keys + shift // clock.unit, q.offtick
        else:
            key = clock.key(q.cust, q.t + shift)
            unsure = clock.offtick(q.t + shift)
        pos = self.keys.searchsorted(key, "right" if inclusive else "left")
        # Same-tick events need their exact times unless the tick decides:
        # a cut on a tick boundary precedes every event of that tick (every
        # cut is on one on a one-nanosecond tick).
        if inclusive and self.subtick:
            which = np.arange(pos.size)
        elif unsure is not None and unsure.any():
            which = np.flatnonzero(np.broadcast_to(unsure, pos.shape))
        else:
            return pos
        key, x = key.reshape(-1)[which], (q.t + shift).reshape(-1)[which]
        lo = self.keys.searchsorted(key, "left")
        hi = self.keys.searchsorted(key, "right")
        owner, idx = expand(lo, hi)
        before = self.t[idx] <= x[owner] if inclusive else self.t[idx] < x[owner]
        pos.reshape(-1)[which] = lo + np.bincount(owner[before], minlength=len(which))
        return pos

    def max_before(self, values: np.ndarray, start: np.ndarray, now: np.ndarray) -> np.ndarray:
        """Max of integer ``values`` (input order) over ``start:now``, a customer's first events.

        One running maximum per customer (the customer code in the high bits
        keeps customers apart) instead of a reduction per query; NaN when empty.
        """
        ordered = self.take(values).astype(np.int64)
        bits = self.clock.shift
        if len(ordered) == 0 or ordered.min() < 0 or ordered.max() >= 1 << bits:
            return range_max(padded(ordered), [start, now])[0]
        running = (self.keys >> bits) << bits
        running |= ordered
        np.maximum.accumulate(running, out=running)
        out = (running[np.maximum(now - 1, 0)] & ((1 << bits) - 1)).astype(float)
        out[now <= start] = np.nan
        return out


def prefix_sums(ordered: np.ndarray) -> np.ndarray:
    """Prefix sums of each row of integer or boolean ``ordered`` (timeline order), as int64.

    Each row starts with 0, so ``prefix_sums(c)[:, hi] - prefix_sums(c)[:, lo]``
    sums each row over positions ``lo:hi``: one gather per cut for all the rows.

    Examples
    --------
    >>> prefix_sums(np.array([[True, False, True], [5, 1, 2]])).tolist()
    [[0, 1, 1, 2], [0, 5, 6, 8]]
    """
    table = np.empty((len(ordered), ordered.shape[1] + 1), np.int64)
    table[:, 0] = 0
    ordered.cumsum(axis=1, out=table[:, 1:])
    return table


def padded(values: np.ndarray) -> np.ndarray:
    """``values`` as floats with the padding element :func:`range_max` needs."""
    out = np.zeros(len(values) + 1)
    out[:-1] = values
    return out


def range_max(ordered: np.ndarray, edges: np.ndarray | list[np.ndarray]) -> np.ndarray:
    """Max of ``ordered[edges[j]:edges[-1]]`` per query, for each ``j``; NaN when empty.

    ``edges`` (shape ``(ranges + 1, n_queries)``) are positions, per query
    each at or after the one before: nested ranges with a common end, as
    windows ending at ``as_of``. ``ordered`` must end with one padding
    element (an edge may equal its last index). A sparse table holds the
    max of every run of ``2**k`` values, up to the longest range, so that a
    range is the max of two runs that cover it: a few gathers per range,
    where ``np.maximum.reduceat`` spends ~20 ns on each range, even an empty one.

    Returns
    -------
    ndarray of float, shape (ranges, n_queries)

    Examples
    --------
    >>> ordered = padded(np.array([5, 1, 3, 2]))
    >>> range_max(ordered, np.array([[0, 4], [1, 4], [3, 4]])).tolist()
    [[5.0, nan], [3.0, nan]]
    """
    edges = np.asarray(edges)
    lo, end = edges[:-1], edges[-1]
    lengths = end - lo
    if lengths.shape[1] == 1:
        # One query (a checkout): a running max back from its end holds every
        # range's max; a table would cost two operations per level.
        first, last = int(lo[0, 0]), int(end[0])
        back = np.empty(last - first + 1)
        back[0] = np.nan
        np.maximum.accumulate(ordered[first:last][::-1], out=back[1:])
        return back[lengths]
    width = len(ordered)
    table = np.empty((max(int(lengths.max(initial=0)).bit_length(), 1), width))
    table[0] = ordered
    for k in range(1, len(table)):
        half = 1 << (k - 1)
        np.maximum(table[k - 1, :-half], table[k - 1, half:], out=table[k, :-half])
        table[k, -half:] = table[k - 1, -half:]
    # Level floor(log2(length)): runs from lo and ending at end overlap and cover the range.
    level = np.maximum(np.frexp(lengths)[1] - 1, 0, dtype=np.int64)
    flat = table.ravel()
    base = level * width
    first = flat[base + lo]
    last = flat[base + end - np.left_shift(1, level)]
    return np.where(lengths > 0, np.maximum(first, last), np.nan)


def ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """``num / den`` as floats; NaN where ``den`` is 0.

    Examples
    --------
    >>> ratio(np.array([1, 1]), np.array([4, 0])).tolist()
    [0.25, nan]
    """
    return np.true_divide(num, nonzero(den))


def nonzero(den: np.ndarray) -> np.ndarray:
    """``den`` as floats, NaN where 0: dividing by it is :func:`ratio`.

    Worth it when several ratios share a denominator: each is then one
    division (masking NaNs in after the division costs five times more).

    Examples
    --------
    >>> (np.array([1, 1]) / nonzero(np.array([4, 0]))).tolist()
    [0.25, nan]
    """
    return np.where(den == 0, np.nan, den)


def expand(lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Unroll ranges ``lo[i]:hi[i]`` into (range number, position) pairs.

    Examples
    --------
    >>> owner, idx = expand(np.array([2, 5, 7]), np.array([4, 5, 8]))
    >>> owner.tolist(), idx.tolist()
    ([0, 0, 2], [2, 3, 7])
    """
    n = np.maximum(hi - lo, 0)
    owner = np.arange(len(n)).repeat(n)
    if not len(owner):
        return owner, owner
    # Pair k is position lo + k - (pairs of the ranges before), of its range.
    idx = np.arange(len(owner)) + (lo - n.cumsum() + n).repeat(n)
    return owner, idx


def stab(
    clock: Clock,
    query_keys: np.ndarray,
    query_t: np.ndarray,
    cust: np.ndarray,
    start: np.ndarray,
    end: np.ndarray,
    *,
    start_inclusive: bool,
) -> tuple[np.ndarray, np.ndarray]:
    """Pairs (interval, query) of one customer where the query time falls in the interval.

    Intervals are ``(start, end]`` (``[start, end]`` if ``start_inclusive``);
    ``end`` may be :data:`NEVER`. Queries are sorted by ``query_keys``
    (customer, time) with times ``query_t``. Work is proportional to the
    number of pairs, so keep the intervals to the few that matter.

    Returns
    -------
    interval, query : ndarray of int
    """
    lo = query_keys.searchsorted(clock.key(cust, start), "left")
    hi = query_keys.searchsorted(clock.key(cust, np.minimum(end, clock.end)), "right")
    interval, query = expand(lo, hi)
    if not len(interval):
        return interval, query
    t = query_t[query]
    after = start[interval] <= t if start_inclusive else start[interval] < t
    keep = after & (t <= end[interval])
    return interval[keep], query[keep]


def _ascending(keys: np.ndarray) -> bool:
    return len(keys) < 2 or bool((keys[1:] >= keys[:-1]).all())


def _sort_within_ticks(order: np.ndarray, keys: np.ndarray, t: np.ndarray) -> None:
    """Reorder, in place, runs of equal keys in ``order`` by exact time."""
    tie = keys[1:] == keys[:-1]
    if not tie.any():
        return
    in_run = np.zeros(len(keys), bool)
    in_run[1:] |= tie
    in_run[:-1] |= tie
    pos = np.flatnonzero(in_run)
    # Runs are contiguous, so sorting their members by (key, time) keeps each
    # run in its own slots.
    order[pos] = order[pos[np.lexsort((t[order[pos]], keys[pos]))]]
