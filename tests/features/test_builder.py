"""FeatureBuilder's scikit-learn face and its errors on bad input."""

import numpy as np
import pandas as pd
import pytest
from features_testkit import applications, customers, installments, orders, ts
from sklearn.base import clone

from bnpl_risk.errors import ArtifactError, ConfigError, HistoryError, NotFittedError
from bnpl_risk.features import FeatureBuilder, feature_names
from bnpl_risk.histories import Histories


def _history():
    h = Histories(
        customers(("c1", ts("2024-01-01"), 1990, 2, 1), ("c2", ts("2024-01-01"), 1990, 2, 1)),
        orders(
            ("o1", "c1", ts("2024-02-01"), 100.0, "food", "mall", "bnpl", "completed", None),
            ("o2", "c2", ts("2024-02-02"), 20.0, "food", "mall", "upfront", "completed", None),
        ),
        installments(("o1", "c1", 1, ts("2024-03-02"), 100.0, None, 0.0)),
    )
    apps = applications(
        ("a2", "c2", ts("2024-04-01"), None, "mall"), ("a1", "c1", ts("2024-04-01"), 50.0, "search")
    )
    return h, apps


def test_fit_returns_self_and_fixes_the_output_columns():
    h, apps = _history()
    builder = FeatureBuilder(windows=[30, 7])
    assert builder.fit(h, apps) is builder
    assert builder.windows == [30, 7]  # parameters are stored unchanged
    assert builder.windows_ == (7, 30)
    assert list(builder.get_feature_names_out()) == list(feature_names((7, 30)))
    assert builder.n_features_out_ == len(feature_names((7, 30)))


def test_transform_gives_floats_indexed_by_application_in_input_order():
    h, apps = _history()
    X = FeatureBuilder().fit_transform(h, apps)
    assert list(X.index) == ["a2", "a1"]
    assert X.index.name == "application_id"
    assert list(X.columns) == list(feature_names())
    assert set(X.dtypes) == {np.dtype(float)}
    assert X.loc["a1", "overdue_amount"] == 100.0
    assert X.loc["a2", "overdue_amount"] == 0.0


def test_unfitted_builder_refuses_to_transform():
    h, apps = _history()
    with pytest.raises(NotFittedError, match="not fitted"):
        FeatureBuilder().transform(h, apps)
    with pytest.raises(NotFittedError, match="not fitted"):
        FeatureBuilder().get_feature_names_out()


def test_builder_clones_with_its_parameters():
    builder = FeatureBuilder(windows=(7, 365))
    assert clone(builder).get_params() == {"windows": (7, 365)}
    assert "windows=(7, 365)" in repr(builder)


@pytest.mark.parametrize("windows", [(), (8,), ("7",), (True,), (7, -30), None, 7])
def test_bad_windows_are_refused(windows):
    h, apps = _history()
    with pytest.raises(ConfigError, match=r"FeatureBuilder.windows must be .* 7, 14, 30"):
        FeatureBuilder(windows=windows).fit(h, apps)


def test_empty_applications_give_an_empty_frame():
    h, apps = _history()
    X = FeatureBuilder().fit(h, apps).transform(h, apps.iloc[:0])
    assert X.shape == (0, len(feature_names()))


def test_object_and_integer_ids_work_like_text():
    h, apps = _history()
    want = FeatureBuilder().fit_transform(h, apps)
    as_objects = Histories(
        *(
            f.astype({c: object for c in f.columns if f[c].dtype == "str"})
            for f in h.tables().values()
        )
    )
    got = FeatureBuilder().fit_transform(as_objects, apps.astype({"application_id": object}))
    pd.testing.assert_frame_equal(got, want, check_index_type=False)
    numeric = Histories(
        h.customers.assign(customer_id=[1, 2]),
        h.orders.assign(customer_id=[1, 2], order_id=[11, 12]),
        h.installments.assign(customer_id=[1], loan_id=[11]),
    )
    got = FeatureBuilder().fit_transform(numeric, apps.assign(customer_id=[2, 1]))
    np.testing.assert_array_equal(got.to_numpy(), want.to_numpy())


def _raises(h, apps, match):
    with pytest.raises(HistoryError, match=match):
        FeatureBuilder().fit(h, applications()).transform(h, apps)


def test_unknown_customer_names_the_application():
    h, apps = _history()
    apps = pd.concat([apps, applications(("a9", "c9", ts("2024-04-01"), None, "mall"))])
    _raises(
        h,
        apps,
        r"applications.customer_id must be a customer in customers; 1 row is "
        r"not \(application_id a9\)\. Add the customers .*validate_applications",
    )


def test_repeated_keys_are_refused():
    h, apps = _history()
    _raises(
        h,
        pd.concat([apps, apps.iloc[[0]]]),
        r"applications.application_id must be unique; 1 row is not \(application_id a2\)",
    )
    twice = Histories(pd.concat([h.customers, h.customers.iloc[[1]]]), h.orders, h.installments)
    _raises(twice, apps, r"customers.customer_id must be unique; 2 rows are not \(customer_id c2\)")


def test_missing_columns_are_named():
    h, apps = _history()
    _raises(
        Histories(h.customers, h.orders.drop(columns=["refund_ts", "status"]), h.installments),
        apps,
        r"orders is missing columns status, refund_ts; it has .*SCHEMAS\['orders'\]",
    )
    with pytest.raises(HistoryError, match="applications is missing column channel"):
        FeatureBuilder().fit(h, apps.drop(columns="channel"))


def test_values_the_features_need_are_checked():
    h, apps = _history()
    _raises(
        h,
        apps.assign(as_of=apps["as_of"].astype(str)),
        r"applications.as_of must be datetime64 timestamps; found dtype",
    )
    _raises(
        h,
        apps.assign(as_of=apps["as_of"].dt.tz_localize("UTC")),
        r"applications.as_of must be timezone-naive UTC\+8",
    )
    _raises(
        h,
        apps.assign(as_of=[pd.NaT, apps["as_of"].iloc[1]]),
        r"applications.as_of must be present; 1 row is not \(application_id a2\)",
    )
    _raises(
        h,
        apps.assign(channel=["tv", "mall"]),
        r"applications.channel must be one of live_stream, short_video, mall, search",
    )
    _raises(
        Histories(h.customers, h.orders.assign(status=["done", "completed"]), h.installments),
        apps,
        r"orders.status must be one of completed, refunded, cancelled; 1 row is not "
        r"\(order_id o1\)",
    )
    _raises(
        Histories(h.customers, h.orders.assign(amount=[np.nan, 1.0]), h.installments),
        apps,
        r"orders.amount must be a number; 1 row is not \(order_id o1\)",
    )
    _raises(
        Histories(h.customers, h.orders, h.installments.assign(loan_id=["o2"])),
        apps,
        r"installments.loan_id must be the order_id of a bnpl order in orders; 1 row is "
        r"not \(loan_id o2\)",
    )
    with pytest.raises(HistoryError, match="histories must be a bnpl_risk.Histories"):
        FeatureBuilder().fit(h.tables(), apps)


def test_rows_of_customers_without_applications_are_ignored():
    h, apps = _history()
    want = FeatureBuilder().fit_transform(h, apps.iloc[[1]])
    stranger = orders(
        ("o9", "c9", ts("2024-03-01"), 5.0, "food", "mall", "bnpl", "completed", None)
    )
    more = Histories(
        h.customers,
        pd.concat([h.orders, stranger]),
        pd.concat(
            [h.installments, installments(("o9", "c9", 1, ts("2024-04-01"), 5.0, None, 0.0))]
        ),
    )
    pd.testing.assert_frame_equal(FeatureBuilder().fit_transform(more, apps.iloc[[1]]), want)


def test_state_round_trip_rebuilds_the_same_builder():
    h, apps = _history()
    fitted = FeatureBuilder(windows=(7, 365)).fit(h, apps)
    again = FeatureBuilder.from_state(fitted.to_state())
    pd.testing.assert_frame_equal(again.transform(h, apps), fitted.transform(h, apps))
    state = fitted.to_state()
    state["feature_names"] = state["feature_names"][:-1]
    with pytest.raises(ArtifactError, match="the saved feature list differs"):
        FeatureBuilder.from_state(state)
