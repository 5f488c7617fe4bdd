"""Synthetic BNPL book: customers, orders, installments, applications and their true PD.

How it works
------------
Each customer belongs to a segment of DESIGN.md -- careful payers, slow
payers who cure, over-extended stackers, impulse live-stream buyers,
bust-out accounts -- which sets the centre of every habit: KYC level, age
and city tier, order rate (growing for stackers, a burst right after
signup for bust-outs), BNPL share and terms, night-time (00:00-05:00) and
live-stream buying, resellable categories, amounts (also by city tier and
age), refunds, cancellations and paying 1-29 days late. The latent risk
(creditworthiness, higher is worse) adds up those habits, KYC, age and
city tier, plus a small part nothing reveals; so the risk shows in what
the customer does, and a history reveals it better as it grows.

Orders form a Poisson process in account age. A BNPL order becomes a loan
of 1 (due 30 days later), 3, 6 or 12 installments due every 30 days from
the order's day (no fees). When the loan is granted its per-installment
probability ``q`` of the customer stopping payment is fixed from the latent
risk, the account's age (new accounts are riskier), how far a stacker's
spending has grown, whether the order was an impulse buy (night or live
stream) or resellable goods, and the term; anyone may also stop after a
life event. Each installment in turn is then either where the customer
stops paying the loan (the rest follows unpaid; the first one sometimes
part paid) or is paid on the day, 1-29 days late or 30-40 days late (the
risk raises that last chance). Refunds come 1-25 days after the order and
settle the loan; cancelled orders have no installments. BNPL is refused,
and the order paid up front, while an installment is 30+ days past due.
Nothing at or after the end of the data (``start + months``) is recorded:
later payments and refunds show as not (yet) made; due dates run on.

Applications are monthly re-scores (midnight on the book's monthly
anniversaries after signup, a random 60% of them, no amount) and checkout
requests (30% of BNPL orders: ``as_of`` is the order time, the requested
amount and channel the order's).

True PD
-------
``true_pd`` is P(``make_labels`` says bad) -- some installment of the
customer 30+ days past due in ``(as_of, as_of + 180 days]`` -- given what
the data shows strictly before ``as_of``, the application itself and the
customer's parameters: the oracle knows the latent risk and habits, not
the future. Outcomes are independent given those, so it has a closed
form, bar one numerical integral: a product over the loans already granted (an installment
unpaid ``x`` days after due is judged by Bayes' rule on the lateness law;
one 30+ days overdue, or part paid, makes the PD 1; a young loan may still
be refunded), the checkout order applied for (term and category averaged
over the customer's habits), and future BNPL orders (a Poisson process,
integrated over 10-day steps with the intensity integrated exactly). It
is the PD of the generating process, also where the data ends before the
window closes. Calibration against ``make_labels`` is tested by decile.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from bnpl_risk.datasets._applications import draw_applications
from bnpl_risk.datasets._customers import draw_customers
from bnpl_risk.datasets._orders import draw_orders
from bnpl_risk.datasets._profiles import SEGMENT_NAMES
from bnpl_risk.datasets._repayment import draw_repayment
from bnpl_risk.datasets._tables import (
    applications_table,
    customers_table,
    installments_table,
    orders_table,
    segment_series,
)
from bnpl_risk.datasets._true_pd import true_pd
from bnpl_risk.errors import ConfigError
from bnpl_risk.histories import Histories

__all__ = ["SEGMENTS", "SyntheticBook", "make_bnpl_histories"]

SEGMENTS = SEGMENT_NAMES
"""Segment names, from the safest to the most dangerous on average."""


@dataclass(frozen=True)
class SyntheticBook:
    """A generated book and what only the generator knows about it.

    Attributes
    ----------
    histories : Histories
        Customers, orders and installments per the data contract.
    applications : DataFrame
        Re-scores (``requested_amount`` missing) and checkout requests
        per ``SCHEMAS["applications"]``, sorted by customer and ``as_of``.
    true_pd : Series of float
        The generator's probability that each application is labelled bad
        by ``make_labels`` (horizon 180 days, 30 DPD), indexed by
        ``application_id``.
    segment : Series of str
        Each customer's segment (one of :data:`SEGMENTS`), indexed by
        ``customer_id``.
    end : Timestamp
        Where the generated data ends (``start + months``); no event is
        recorded at or after it.
    """

    histories: Histories
    applications: pd.DataFrame
    true_pd: pd.Series
    segment: pd.Series
    end: pd.Timestamp


def _check_count(name: str, value, minimum: int, example: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ConfigError(
            f"make_bnpl_histories: {name} must be a whole number >= {minimum}; "
            f"found {value!r}. Pass e.g. {name}={example}."
        )
    return int(value)


def _check_start(start) -> pd.Timestamp:
    try:
        ts = pd.Timestamp(start)
    except (TypeError, ValueError) as exc:
        raise ConfigError(
            f"make_bnpl_histories: start must be a date; found {start!r}. "
            'Pass e.g. start="2024-01-01".'
        ) from exc
    if pd.isna(ts) or ts.tz is not None:
        raise ConfigError(
            f"make_bnpl_histories: start must be a timezone-naive date (UTC+8 wall time); "
            f'found {start!r}. Pass e.g. start="2024-01-01".'
        )
    return ts.normalize()


def make_bnpl_histories(
    n_customers: int, *, seed: int = 0, start="2024-01-01", months: int = 18
) -> SyntheticBook:
    """Generate a synthetic BNPL book with the true PD of each application.

    See the module docstring for the generating process and the true PD.

    Parameters
    ----------
    n_customers : int
        Number of customers (>= 1).
    seed : int, default 0
        Seed of the random generator (>= 0): the same seed gives identical tables.
    start : date-like, default "2024-01-01"
        First day of the book (midnight).
    months : int, default 18
        Length of the book in calendar months (>= 1). Applications are
        mature for 180-day labels only in the first ``months - 6`` or so.

    Returns
    -------
    SyntheticBook

    Raises
    ------
    ConfigError
        If a parameter is not as described above.

    Examples
    --------
    >>> book = make_bnpl_histories(200, seed=1)
    >>> sorted(book.histories.tables())
    ['customers', 'installments', 'orders']
    >>> len(book.histories.customers)
    200
    >>> bool(book.true_pd.between(0, 1).all())
    True
    >>> book.histories.data_end < book.end
    True
    """
    n = _check_count("n_customers", n_customers, 1, 1000)
    seed = _check_count("seed", seed, 0, 0)
    months = _check_count("months", months, 1, 18)
    begin = _check_start(start)
    # The book's monthly anniversaries: re-score dates, and the end.
    months_s = (
        pd.date_range(begin, periods=months + 1, freq=pd.DateOffset(months=1)) - begin
    ) // pd.Timedelta(seconds=1)
    end_s = int(months_s[-1])
    rescore_s = np.asarray(months_s[1:-1], dtype=np.int64)
    rng_customers, rng_orders, rng_repay, rng_apps = (
        np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(4)
    )

    customers = draw_customers(rng_customers, n, end_s)
    orders = draw_orders(rng_orders, customers, end_s)
    repayment = draw_repayment(rng_repay, customers, orders, end_s)
    apps = draw_applications(rng_apps, customers, orders, repayment.bnpl, rescore_s)

    origin = np.datetime64(begin, "ns")
    histories = Histories(
        customers=customers_table(customers, origin),
        orders=orders_table(orders, repayment.bnpl, n, origin, end_s),
        installments=installments_table(repayment, len(orders), n, origin),
    )
    applications = applications_table(apps, n, origin)
    return SyntheticBook(
        histories=histories,
        applications=applications,
        true_pd=pd.Series(
            true_pd(customers, orders, repayment, apps),
            index=pd.Index(applications["application_id"], name="application_id"),
            name="true_pd",
        ),
        segment=segment_series(customers, histories.customers["customer_id"]),
        end=begin + pd.Timedelta(seconds=end_s),
    )
