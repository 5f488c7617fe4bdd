"""The point-in-time feature builder: histories + applications -> one feature row per application.

Point-in-time rule (DESIGN.md): a feature of an application uses only
events strictly before its ``as_of`` and only what was known then.

- Orders count once placed (``order_ts < as_of``); an order placed exactly at
  ``as_of`` does not. A refunded or cancelled order counts as completed
  until its ``refund_ts`` (a missing ``refund_ts`` means it was never
  completed).
- A BNPL loan and its installments exist from its order's ``order_ts``.
- Payments count once made (``paid_ts < as_of``): a payment at or after
  ``as_of`` leaves the installment unpaid at ``as_of``; a part payment lowers
  what is owed. "Paid in full" follows
  :func:`bnpl_risk.histories.dpd.settled_ts`.
- Days past due (DPD) follow :func:`bnpl_risk.histories.dpd.dpd_at`.

So changing, adding or deleting any event at or after ``as_of`` changes no
feature. Customer attributes (``kyc_level``, ``city_tier``,
``birth_year``) have no history in the data contract and are read as given.
``requested_amount`` and ``channel`` of the application itself are known at
``as_of`` and are features.

Defaults: counts and amounts are 0 when nothing happened; means, maxima,
shares, ratios and "days since" are NaN when undefined (each feature's
description in :data:`~bnpl_risk.features.REGISTRY` says when). A customer
with no orders or no BNPL history gets those defaults. An application whose
customer is not in ``customers`` raises :class:`~bnpl_risk.errors.HistoryError`
naming it.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from bnpl_risk.errors import ArtifactError, ConfigError
from bnpl_risk.features._assemble import compute
from bnpl_risk.features._inputs import (
    check_columns,
    one_application,
    read_applications,
    read_book,
)
from bnpl_risk.features.registry import DEFAULT_WINDOWS, SUPPORTED_WINDOWS, feature_names
from bnpl_risk.histories import Histories

__all__ = ["FeatureBuilder"]


class FeatureBuilder(BaseEstimator):
    """Point-in-time features, one row per application, in one compiled pass.

    Parameters
    ----------
    windows : iterable of int, default (7, 30, 90, 180)
        Look-back windows in days of the windowed features (spending,
        refunds, worst DPD and late counts per window), each one of
        :data:`~bnpl_risk.features.registry.SUPPORTED_WINDOWS`. Fixed
        features (velocity 7 vs 90 days, trend 30 vs 180 days, mix over 30
        and 90 days) are always built.

    Attributes
    ----------
    windows_ : tuple of int
        The windows, sorted.
    feature_names_out_ : ndarray of str
        Output columns in order (:func:`~bnpl_risk.features.registry.feature_names`).
    n_features_out_ : int
    feature_index_ : dict of str to int
        Position of each output column, e.g. in :meth:`transform_one`'s vector.

    Notes
    -----
    Nothing is learned from the data: the category vocabularies are the data
    contract's (``bnpl_risk.histories.schema``), so ``fit`` checks the
    parameters and the tables' columns and fixes the output columns. It
    exists so the builder composes like any scikit-learn transformer.

    The tables are read into arrays once (text ids joined by merging when
    sorted, by hashing otherwise), then one loop compiled with numba walks
    each application's customer's events in time order up to its
    ``as_of`` (no Python loop per customer or application); a large book
    is computed in groups of customers, one thread per core. The first use
    on a machine compiles the loops (a few seconds), cached after.

    Examples
    --------
    >>> import pandas as pd
    >>> from bnpl_risk.histories import Histories
    >>> ts = pd.to_datetime
    >>> customers = pd.DataFrame({"customer_id": ["c1"], "signup_ts": ts(["2024-01-01"]),
    ...     "birth_year": [1990], "kyc_level": [2], "city_tier": [1]})
    >>> orders = pd.DataFrame({"order_id": ["o1", "o2"], "customer_id": ["c1", "c1"],
    ...     "order_ts": ts(["2024-02-01", "2024-03-01"]), "amount": [100.0, 300.0],
    ...     "category": ["food", "electronics"], "channel": ["live_stream", "mall"],
    ...     "payment": ["upfront", "bnpl"], "status": ["completed", "completed"],
    ...     "refund_ts": ts([None, None])})
    >>> installments = pd.DataFrame({"loan_id": ["o2"], "customer_id": ["c1"],
    ...     "installment_no": [1], "due_date": ts(["2024-03-31"]), "amount_due": [300.0],
    ...     "paid_ts": ts(["2024-04-10"]), "amount_paid": [300.0]})
    >>> h = Histories(customers, orders, installments)
    >>> apps = pd.DataFrame({"application_id": ["a1", "a2"], "customer_id": ["c1", "c1"],
    ...     "as_of": ts(["2024-03-01", "2024-04-05"]), "requested_amount": [500.0, None],
    ...     "channel": ["mall", "live_stream"]})
    >>> X = FeatureBuilder().fit_transform(h, apps)
    >>> X.loc["a2", ["spend_sum_90d", "current_dpd", "outstanding_balance"]].tolist()
    [400.0, 5.0, 300.0]

    o2, placed exactly at a1's ``as_of``, does not count for a1:

    >>> X.loc["a1", ["spend_count_90d", "bnpl_loans_all"]].tolist()
    [1.0, 0.0]
    """

    def __init__(self, windows: Iterable[int] = DEFAULT_WINDOWS) -> None:
        self.windows = windows

    def fit(self, histories: Histories, applications: pd.DataFrame) -> FeatureBuilder:
        """Check the parameters and the tables' columns; fix the output columns.

        Parameters
        ----------
        histories : Histories
        applications : DataFrame
            With ``application_id``, ``customer_id``, ``as_of``,
            ``requested_amount``, ``channel``.

        Returns
        -------
        self

        Raises
        ------
        ConfigError
            If ``windows`` is empty or holds an unsupported window.
        HistoryError
            If a table lacks a column the features read.
        """
        windows = _check_windows(self.windows)
        check_columns(histories, applications)
        self._set_fitted(windows)
        return self

    def _set_fitted(self, windows: tuple[int, ...]) -> None:
        self.windows_ = windows
        self.feature_names_out_ = np.asarray(feature_names(windows), dtype=object)
        self.n_features_out_ = len(self.feature_names_out_)
        self.feature_index_ = {name: i for i, name in enumerate(self.feature_names_out_)}

    def transform(self, histories: Histories, applications: pd.DataFrame) -> pd.DataFrame:
        """Features of each application at its ``as_of``.

        Parameters
        ----------
        histories : Histories
            Events of the applications' customers (other customers' rows are
            ignored). Never modified.
        applications : DataFrame
            One row per application. Never modified.

        Returns
        -------
        DataFrame
            Indexed by ``application_id`` in the order of ``applications``,
            columns :attr:`feature_names_out_`, all ``float64``.

        Raises
        ------
        NotFittedError
            Before :meth:`fit`.
        HistoryError
            If a table lacks a column, a key repeats, an application's
            customer is not in ``customers``, or a value the features need
            is missing or outside the contract (``as_of``, ``order_ts``,
            ``amount``, ``status``, ``payment``, ``channel``, ``due_date``,
            an installment whose ``loan_id`` is no BNPL order), naming the
            rows.
        """
        check_is_fitted(self)
        check_columns(histories, applications)
        book = read_book(histories, read_applications(applications))
        names = tuple(self.feature_names_out_)
        return frame(compute(book, names, self.windows_), book.app_ids, names)

    def transform_one(
        self,
        histories: Histories,
        customer_id: str,
        as_of,
        requested_amount: float | None = None,
        channel: str = "live_stream",
        *,
        application_id: str = "",
    ) -> np.ndarray:
        """Features of one application at checkout, without frames: the service path.

        The same values as the application's row of :meth:`transform`, as a
        vector in the order of :attr:`feature_names_out_`; ``histories`` need
        only hold that customer's rows. ``application_id`` names the
        application in errors.

        Raises
        ------
        NotFittedError, HistoryError
            As :meth:`transform`.

        Examples
        --------
        >>> from bnpl_risk.datasets import make_bnpl_histories
        >>> book = make_bnpl_histories(50, seed=1)
        >>> app = book.applications.iloc[[0]]
        >>> builder = FeatureBuilder().fit(book.histories, app)
        >>> x = builder.transform_one(book.histories, *app.iloc[0][
        ...     ["customer_id", "as_of", "requested_amount", "channel"]])
        >>> bool(np.array_equal(x, builder.transform(book.histories, app).iloc[0], equal_nan=True))
        True
        """
        if not hasattr(self, "feature_names_out_"):  # check_is_fitted costs more than the row
            check_is_fitted(self)
        check_columns(histories)
        app = one_application(application_id, customer_id, as_of, requested_amount, channel)
        names = tuple(self.feature_names_out_)
        return compute(read_book(histories, app), names, self.windows_)[0]

    def fit_transform(self, histories: Histories, applications: pd.DataFrame) -> pd.DataFrame:
        """:meth:`fit`, then :meth:`transform` the same inputs."""
        return self.fit(histories, applications).transform(histories, applications)

    def to_state(self) -> dict:
        """JSON-ready fitted state: the windows and the output columns in order.

        Examples
        --------
        >>> state = {"windows": [30, 90], "feature_names": list(feature_names((30, 90)))}
        >>> FeatureBuilder.from_state(state).to_state() == state
        True
        """
        check_is_fitted(self)
        return {"windows": list(self.windows_), "feature_names": list(self.feature_names_out_)}

    @classmethod
    def from_state(cls, state: dict) -> FeatureBuilder:
        """Rebuild a fitted builder from :meth:`to_state`, checking the feature list.

        Raises
        ------
        ArtifactError
            If the state is malformed or its feature list is not what its
            windows build with this version of the library.
        """
        try:
            windows = tuple(int(w) for w in state["windows"])
            saved = list(state["feature_names"])
        except (KeyError, TypeError, ValueError):
            raise ArtifactError(
                f"feature state must have 'windows' and 'feature_names'; found {state!r}. "
                "Save the scorer again."
            ) from None
        builder = cls(windows=windows)
        builder._set_fitted(_check_windows(windows))
        if list(builder.feature_names_out_) != saved:
            raise ArtifactError(
                f"the saved feature list differs from what windows {windows} build with this "
                f"version of bnpl_risk ({len(saved)} saved, {builder.n_features_out_} now); "
                "retrain and save the scorer with this version."
            )
        return builder

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        """Output column names, in order.

        Parameters
        ----------
        input_features : ignored
            Present for scikit-learn compatibility.

        Returns
        -------
        ndarray of str
        """
        check_is_fitted(self)
        return self.feature_names_out_.copy()


def _check_windows(windows) -> tuple[int, ...]:
    """Sorted distinct windows, or :class:`ConfigError` naming what is wrong."""
    allowed = ", ".join(map(str, SUPPORTED_WINDOWS))
    try:
        values = tuple(windows)
    except TypeError:
        values = None
    if not values or any(
        isinstance(w, bool) or not isinstance(w, (int, np.integer)) or w not in SUPPORTED_WINDOWS
        for w in values
    ):
        raise ConfigError(
            f"FeatureBuilder.windows must be a non-empty collection of days among {allowed}; "
            f"found {windows!r}. Pass e.g. windows=(7, 30, 90, 180)."
        )
    return tuple(sorted({int(w) for w in values}))


def frame(values: np.ndarray, index: pd.Index, names: tuple[str, ...]) -> pd.DataFrame:
    """The frame of features ``values`` (one row per application), indexed by ``index``.

    The frame holds ``values`` as its one block, without a copy.
    """
    return pd.DataFrame(values, index=index, columns=pd.Index(names, dtype=object), copy=False)
