"""The compiled pass: every feature of every application, customer by customer.

Also the compiled steps of reading the tables (cents, installments, loan
totals), which the pass's layout and constants define.

Events are grouped by customer once, in time order (a counting sort, see
:func:`by_time`). Then, for each application, one loop over its
customer's orders and one over its customer's installments add each
event known at ``as_of`` to the scopes that hold it, and the features are
read off the sums. An event counts in the narrowest scope that holds it,
and the scopes are summed from the narrowest out, so an event costs one
update, whatever the number of windows. The work is, per application, the
customer's events before its ``as_of``; nothing is shared between
customers, so any group of customers can be computed apart (one thread
each) with the same values.

Times are int64 nanoseconds, compared exactly; money is whole cents, and
every sum is an exact integer sum. :data:`NEVER` marks an event that has
not happened (an installment never paid), so that ``t < as_of`` is false.
"""

from __future__ import annotations

import numba
import numpy as np

from bnpl_risk.histories.schema import CHANNELS, ORDER_STATUSES

DAY = 86_400 * 10**9
SECOND = 10**9
#: Time of an event that has not happened (an installment never paid).
NEVER = np.iinfo(np.int64).max
#: What ``datetime64[ns]`` NaT reads as in int64.
NAT = np.iinfo(np.int64).min
#: Order status codes: positions in ORDER_STATUSES.
COMPLETED, REFUNDED, CANCELLED = map(ORDER_STATUSES.index, ("completed", "refunded", "cancelled"))
#: Installments due in this many days after as_of count as due soon.
DUE_SOON_DAYS = 30
#: Days past due whose reaching is counted (``dpd{k}_count_all``).
REACH_DAYS = (1, 7, 30)

#: Features of the application and its customer's attributes, in slot order;
#: then one ``app_channel_{name}`` per channel.
IDENTITY = ("account_age_days", "age_years", "kyc_level", "city_tier", "requested_amount")
#: Features computed for every scope (each window, then ALL), in slot order.
PER_SCOPE = (
    "spend_count",
    "spend_sum",
    "spend_max",
    "spend_mean",
    "spend_std",
    "refund_rate",
    "cancel_rate",
    "refund_amount_share",
    "worst_dpd",
    "late_count",
)
#: Features read once off the orders, in slot order.
FROM_ORDERS = (
    "bnpl_share_90d",
    "bnpl_share_all",
    "live_stream_share_30d",
    "short_video_share_30d",
    "night_share_30d",
    "resellable_share_30d",
    "live_stream_share_90d",
    "short_video_share_90d",
    "night_share_90d",
    "resellable_share_90d",
    "days_since_last_order",
    "spend_trend_30d_180d",
    "velocity_orders_7d_vs_90d",
    "velocity_amount_7d_vs_90d",
    "amount_placed_7d",
    "amount_per_account_day",
    "requested_to_avg_order",
    "bnpl_loans_all",
    "open_bnpl_loans",
    "new_bnpl_loans_7d",
    "new_bnpl_loans_30d",
    "max_plan_installments",
    "bnpl_tenure_days",
)
#: Features read once off the installments, in slot order.
FROM_INSTALLMENTS = (
    "outstanding_balance",
    "current_dpd",
    "overdue_count",
    "overdue_amount",
    "installments_due_count",
    "dpd1_count_all",
    "dpd7_count_all",
    "dpd30_count_all",
    "on_time_ratio",
    "due_next_30d_count",
    "due_next_30d_amount",
    "cured_count",
    "avg_pay_delay_days",
    "days_since_last_late",
)
#: Windows (days) the fixed features read; every build has these scopes.
FIXED_WINDOWS = (7, 30, 90, 180)
_N_CHANNELS = len(CHANNELS)


def slot_names(windows: tuple[int, ...]) -> tuple[str, ...]:
    """Name of each value :func:`features` computes, for scopes ``windows`` (ascending) and ALL.

    Examples
    --------
    >>> slot_names((7, 30, 90, 180))[9:12]
    ('spend_count_7d', 'spend_count_30d', 'spend_count_90d')
    """
    tags = (*(f"{w}d" for w in windows), "all")
    return (
        *IDENTITY,
        *(f"app_channel_{name}" for name in CHANNELS),
        *(f"{name}_{tag}" for name in PER_SCOPE for tag in tags),
        *FROM_ORDERS,
        *FROM_INSTALLMENTS,
    )


@numba.njit(cache=True, nogil=True)
def group(cust: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Rows of each customer code ``0..n-1``, input order within a customer (a counting sort).

    Returns ``order`` and ``starts``: customer ``c``'s rows are
    ``order[starts[c]:starts[c + 1]]``.
    """
    starts = np.zeros(n + 1, np.int64)
    for c in cust:
        starts[c + 1] += 1
    for c in range(n):
        starts[c + 1] += starts[c]
    fill = starts[:-1].copy()
    order = np.empty(len(cust), np.int64)
    for i in range(len(cust)):
        c = cust[i]
        order[fill[c]] = i
        fill[c] += 1
    return order, starts


@numba.njit(cache=True, nogil=True)
def by_time(cust: np.ndarray, t: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """:func:`group`, each customer's rows in order of time ``t`` (ties in input order).

    Tables usually come in time order within a customer; only the customers
    whose rows do not are sorted.

    Examples
    --------
    >>> order, starts = by_time(np.array([1, 0, 1, 1]), np.array([9, 5, 3, 7]), 2)
    >>> order.tolist(), starts.tolist()
    ([1, 2, 3, 0], [0, 1, 4])
    """
    order, starts = group(cust, n)
    for c in range(n):
        rows = order[starts[c] : starts[c + 1]]
        for k in range(1, len(rows)):
            if t[rows[k]] < t[rows[k - 1]]:
                rows[:] = rows[np.argsort(t[rows], kind="mergesort")]
                break
    return order, starts


@numba.njit(cache=True, nogil=True)
def cents(amount: np.ndarray) -> np.ndarray:
    """Money as whole cents, rounded half to even; a missing amount is 0.

    Examples
    --------
    >>> cents(np.array([1.005, 2.5, np.nan, -0.125])).tolist()
    [100, 250, 0, -12]
    """
    out = np.empty(len(amount), np.int64)
    for k in range(len(amount)):
        out[k] = _cent(amount[k])
    return out


@numba.njit(cache=True, nogil=True)
def _cent(amount: float) -> int:
    scaled = np.rint(amount * 100)
    return 0 if np.isnan(scaled) else np.int64(scaled)


@numba.njit(cache=True, nogil=True)
def installment_columns(loan, order_t, order_cust, due, amount_due, amount_paid, paid, full):
    """The kept installments' columns (see :class:`~bnpl_risk.features._inputs.Installments`),
    from every installment's row: ``loan`` is its kept order (-1: not kept),
    ``full`` whether it was paid in full; times in ns, NaT when missing.

    An installment exists from its order's time: a due date or payment
    before it counts from then. A payment in full settles it; a part
    payment (at most what is due) lowers what is owed.

    Returns
    -------
    tuple of ndarray
        cust, origin, due, cents_due, cents_paid, paid, settled, loan
    """
    n = 0
    for k in range(len(loan)):
        n += loan[k] >= 0
    out = np.empty((8, n), np.int64)
    cust, origin, due_out, cents_due, cents_paid, paid_out, settled, loan_out = out
    j = 0
    for k in range(len(loan)):
        order = loan[k]
        if order < 0:
            continue
        t = order_t[order]
        unpaid = paid[k] == NAT
        when = max(paid[k], t)
        owed = _cent(amount_due[k])
        if unpaid:
            part = 0
        elif full[k]:
            part = owed
        else:
            part = min(max(_cent(amount_paid[k]), 0), owed)
        cust[j], origin[j], due_out[j], loan_out[j] = order_cust[order], t, max(due[k], t), order
        cents_due[j], cents_paid[j] = owed, part
        paid_out[j] = NEVER if unpaid else when
        settled[j] = when if full[k] and not unpaid else NEVER
        j += 1
    return cust, origin, due_out, cents_due, cents_paid, paid_out, settled, loan_out


@numba.njit(cache=True, nogil=True)
def loan_totals(
    loan: np.ndarray, settled: np.ndarray, cents_due: np.ndarray, n: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per order ``0..n-1``, from the installments of each (``loan`` is their order):
    how many, the cents due on them, and when the last was paid in full
    (:data:`NEVER` while one is not, or when the order has none).

    Examples
    --------
    >>> count, due, last = loan_totals(
    ...     np.array([0, 0, 2]), np.array([5, 9, NEVER]), np.array([100, 50, 70]), 3
    ... )
    >>> count.tolist(), due.tolist(), last.tolist() == [9, NEVER, NEVER]
    ([2, 0, 1], [150, 0, 70], True)
    """
    count = np.zeros(n, np.int64)
    due = np.zeros(n, np.int64)
    last = np.full(n, NAT, np.int64)
    for k in range(len(loan)):
        order = loan[k]
        count[order] += 1
        due[order] += cents_due[k]
        last[order] = max(last[order], settled[k])  # NEVER, once one is unpaid
    for order in range(n):
        if count[order] == 0:
            last[order] = NEVER
    return count, due, last


@numba.njit(cache=True, nogil=True)
def _scope(age: int, windows_ns: np.ndarray, strict: bool) -> int:
    """The narrowest scope holding an event ``age`` ns before as_of: the first window
    with ``age <= window`` (``<`` if strict), else ALL (``len(windows_ns)``)."""
    for s in range(len(windows_ns)):
        if age < windows_ns[s] or (not strict and age == windows_ns[s]):
            return s
    return len(windows_ns)


@numba.njit(cache=True, nogil=True)
def _ratio(num: float, den: float) -> float:
    return num / den if den != 0 else np.nan


@numba.njit(cache=True, nogil=True)
def spread_std(n: int, s1: int, s2: int) -> float:
    """Population standard deviation from count, sum and sum of squares; NaN when n is 0.

    ``n * s2 - s1**2`` is exact in integers when nothing can overflow, so
    equal amounts give exactly 0; in floats otherwise.
    """
    if n == 0:
        return np.nan
    if n * float(s2) >= 2.0**62 or abs(s1) >= 2**31:
        spread = n * float(s2) - float(s1) ** 2
    else:
        spread = float(n * s2 - s1 * s1)
    return np.sqrt(max(spread, 0.0)) / n


# Order sums, one row each: placed, cents placed, completed, cents completed,
# cents squared completed, refunded, cents refunded, cancelled, bnpl, live
# stream, short video, night, cents of resellable goods, loans.
_PLACED, _CENTS, _DONE, _DONE_CENTS, _DONE_CENTS2 = 0, 1, 2, 3, 4
_REFUNDED, _REFUNDED_CENTS, _CANCELLED, _BNPL, _LIVE, _SHORT, _NIGHT, _RESOLD = range(5, 13)
_LOANS = 13


@numba.njit(cache=True, nogil=True)
def _put(out, dest, i, base, values) -> None:
    """``out[i, dest[base + k]] = values[k]``, where that is a wanted column (not -1)."""
    for k in range(len(values)):
        column = dest[base + k]
        if column >= 0:
            out[i, column] = values[k]


@numba.njit(cache=True, nogil=True)
def features(out, queries, apps, people, windows_ns, at, dest, orders, installments) -> None:
    """Fill ``out[i, dest[k]]`` with value ``k`` of :func:`slot_names` (none where
    ``dest[k] < 0``) for each application ``i`` of ``queries``.

    ``apps`` holds each application's customer code, as_of, calendar year
    of as_of, requested amount and channel code; ``people`` each customer's
    signup time, birth year, kyc level and city tier. ``windows_ns`` are the
    windows ascending, in ns; ``at`` the positions of the 7, 30, 90 and
    180-day windows among them. ``orders`` and ``installments`` are
    ``(rows, starts, columns)``, customer ``c``'s rows being
    ``rows[starts[c]:starts[c + 1]]`` in order of order time (see
    :func:`by_time`): the loops stop at the first event after as_of. The
    columns are those of :func:`~bnpl_risk.features._assemble.compute`.
    """
    q_cust, q_t, q_year, q_requested, q_channel = apps
    signup, birth_year, kyc_level, city_tier = people
    o_rows, o_starts, o = orders
    i_rows, i_starts, inst = installments
    o_t, o_cents, o_status, o_reversed, o_bnpl, o_night, o_live, o_short = o[:8]
    o_resell, o_plan, o_loan_cents, o_loan_settled = o[8:]
    i_origin, i_due, i_cents_due, i_cents_paid, i_paid, i_settled = inst
    n_scopes = len(windows_ns) + 1
    every = n_scopes - 1
    scoped_at = len(IDENTITY) + _N_CHANNELS
    orders_at = scoped_at + len(PER_SCOPE) * n_scopes
    installments_at = orders_at + len(FROM_ORDERS)
    sums = np.zeros((14, n_scopes), np.int64)
    largest = np.zeros(n_scopes, np.int64)
    worst = np.zeros(n_scopes, np.int64)
    late = np.zeros(n_scopes, np.int64)
    reached = np.zeros(len(REACH_DAYS), np.int64)
    channel = np.zeros(_N_CHANNELS)
    at7, at30, at90, at180 = at
    for i in queries:
        c, q = q_cust[i], q_t[i]
        account_age = np.nan if signup[c] == NAT else max(q - signup[c], 0) / DAY
        requested = q_requested[i]
        _put(
            out,
            dest,
            i,
            0,
            (account_age, q_year[i] - birth_year[c], kyc_level[c], city_tier[c], requested),
        )
        channel[:] = 0.0
        channel[q_channel[i]] = 1.0
        _put(out, dest, i, len(IDENTITY), channel)

        sums[:] = 0
        largest[:] = -1
        last_order, first_loan, plan, loan_cents, closed = NAT, NEVER, 0, 0, 0
        for k in o_rows[o_starts[c] : o_starts[c + 1]]:
            t = o_t[k]
            if t >= q:  # and so are the later ones
                break
            s = _scope(q - t, windows_ns, False)
            cents = o_cents[k]
            sums[_PLACED, s] += 1
            sums[_CENTS, s] += cents
            if o_reversed[k] >= q:  # completed at as_of
                sums[_DONE, s] += 1
                sums[_DONE_CENTS, s] += cents
                sums[_DONE_CENTS2, s] += cents * cents
                largest[s] = max(largest[s], cents)
            elif o_status[k] == REFUNDED:
                sums[_REFUNDED, s] += 1
                sums[_REFUNDED_CENTS, s] += cents
            elif o_status[k] == CANCELLED:
                sums[_CANCELLED, s] += 1
            sums[_BNPL, s] += o_bnpl[k]
            sums[_LIVE, s] += o_live[k]
            sums[_SHORT, s] += o_short[k]
            sums[_NIGHT, s] += o_night[k]
            if o_resell[k]:
                sums[_RESOLD, s] += cents
            last_order = max(last_order, t)
            if o_plan[k] > 0:
                sums[_LOANS, s] += 1
                first_loan = min(first_loan, t)
                plan = max(plan, o_plan[k])
                loan_cents += o_loan_cents[k]
                closed += o_loan_settled[k] < q
        for s in range(1, n_scopes):  # each scope holds the narrower ones
            sums[:, s] += sums[:, s - 1]
            largest[s] = max(largest[s], largest[s - 1])

        worst[:] = 0
        late[:] = 0
        reached[:] = 0
        current, overdue, overdue_cents, due_count, decided = 0, 0, 0, 0, 0
        soon, soon_cents, paid_cents, cured, n_full, delay_s, last_late = 0, 0, 0, 0, 0, 0, NAT
        for k in i_rows[i_starts[c] : i_starts[c + 1]]:
            if i_origin[k] >= q:  # the loan did not exist yet, nor did later ones
                break
            due, settled, paid = i_due[k], i_settled[k], i_paid[k]
            owed = i_cents_due[k] - (i_cents_paid[k] if paid < q else 0)
            due_count += due < q
            if due + DAY <= q:
                decided += 1
                for r in range(len(REACH_DAYS)):
                    reach = due + REACH_DAYS[r] * DAY
                    reached[r] += reach <= q and settled >= reach
                if settled >= due + DAY:
                    late[_scope(q - (due + DAY), windows_ns, True)] += 1
                if q <= settled:  # 1+ days past due at as_of
                    current = max(current, (q - due) // DAY)
                    overdue += 1
                    overdue_cents += owed
            if q <= due < q + DUE_SOON_DAYS * DAY and settled >= q:
                soon += 1
                soon_cents += owed
            if paid < q:
                paid_cents += i_cents_paid[k]
                days_late = 0
                if settled != NEVER:  # a payment in full, at the settle time
                    delay = settled - due
                    n_full += 1
                    delay_s += delay // SECOND
                    if delay >= DAY:
                        cured += 1
                        days_late = delay // DAY
                        last_late = max(last_late, paid)
                s = _scope(q - paid, windows_ns, False)
                worst[s] = max(worst[s], days_late)
        for s in range(1, n_scopes):
            late[s] += late[s - 1]
            worst[s] = max(worst[s], worst[s - 1])

        for s in range(n_scopes):
            n, placed, done = sums[_DONE, s], sums[_PLACED, s], sums[_DONE_CENTS, s]
            spent = done / 100
            scoped = (
                float(n),
                spent,
                largest[s] / 100 if n > 0 else np.nan,
                _ratio(spent, n),
                spread_std(n, done, sums[_DONE_CENTS2, s]) / 100,
                _ratio(sums[_REFUNDED, s], placed),
                _ratio(sums[_CANCELLED, s], placed),
                _ratio(sums[_REFUNDED_CENTS, s], sums[_CENTS, s]),
                float(max(current, worst[s])),
                float(late[s]),
            )
            for f in range(len(scoped)):
                column = dest[scoped_at + f * n_scopes + s]
                if column >= 0:
                    out[i, column] = scoped[f]

        placed, cents, loans = sums[_PLACED], sums[_CENTS], sums[_LOANS]
        _put(
            out,
            dest,
            i,
            orders_at,
            (
                _ratio(sums[_BNPL, at90], placed[at90]),
                _ratio(sums[_BNPL, every], placed[every]),
                _ratio(sums[_LIVE, at30], placed[at30]),
                _ratio(sums[_SHORT, at30], placed[at30]),
                _ratio(sums[_NIGHT, at30], placed[at30]),
                _ratio(sums[_RESOLD, at30], cents[at30]),
                _ratio(sums[_LIVE, at90], placed[at90]),
                _ratio(sums[_SHORT, at90], placed[at90]),
                _ratio(sums[_NIGHT, at90], placed[at90]),
                _ratio(sums[_RESOLD, at90], cents[at90]),
                (q - last_order) / DAY if placed[every] > 0 else np.nan,
                _ratio(sums[_DONE_CENTS, at30] / 30, sums[_DONE_CENTS, at180] / 180),
                _ratio(placed[at7] / 7, placed[at90] / 90),
                _ratio(cents[at7] / 7, cents[at90] / 90),
                cents[at7] / 100,
                # NaN (no signup time) counts as one day, as np.fmax reads it.
                cents[every] / 100 / (account_age if account_age >= 1.0 else 1.0),
                _ratio(requested * sums[_DONE, every], sums[_DONE_CENTS, every] / 100),
                float(loans[every]),
                float(loans[every] - closed),
                float(loans[at7]),
                float(loans[at30]),
                float(plan) if loans[every] > 0 else np.nan,
                (q - first_loan) / DAY if loans[every] > 0 else np.nan,
            ),
        )
        _put(
            out,
            dest,
            i,
            installments_at,
            (
                (loan_cents - paid_cents) / 100,
                float(current),
                float(overdue),
                overdue_cents / 100,
                float(due_count),
                float(reached[0]),
                float(reached[1]),
                float(reached[2]),
                _ratio(decided - reached[0], decided),
                float(soon),
                soon_cents / 100,
                float(cured),
                _ratio(delay_s, n_full) * SECOND / DAY,
                0.0 if current >= 1 else ((q - last_late) / DAY if last_late != NAT else np.nan),
            ),
        )
