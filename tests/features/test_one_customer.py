"""The service path: one customer's own rows give the batch's features, to the bit."""

import pandas as pd
from features_testkit import books
from hypothesis import HealthCheck, given, settings

from bnpl_risk.features import FeatureBuilder, builder
from bnpl_risk.histories import Histories

EXAMPLES = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def own_rows(h: Histories, customer_id: str) -> Histories:
    inst = h.installments
    return Histories(
        h.customers[h.customers["customer_id"] == customer_id],
        h.orders[h.orders["customer_id"] == customer_id],
        inst[inst["customer_id"] == customer_id],
    )


@EXAMPLES
@given(books())
def test_one_customer_alone_equals_the_batch(book):
    h, apps = book
    fb = FeatureBuilder().fit(h, apps)
    batch = fb.transform(h, apps)
    for i in range(len(apps)):
        app = apps.iloc[[i]]
        alone = fb.transform(own_rows(h, app["customer_id"].iloc[0]), app)
        pd.testing.assert_frame_equal(alone, batch.iloc[[i]], check_exact=True)


@EXAMPLES
@given(books())
def test_one_block_and_separate_columns_hold_the_same_frame(book):
    h, apps = book
    fb = FeatureBuilder().fit(h, apps)
    block = fb.transform(h, apps)
    saved = builder._ONE_BLOCK_ROWS
    builder._ONE_BLOCK_ROWS = -1
    try:
        columns = fb.transform(h, apps)
    finally:
        builder._ONE_BLOCK_ROWS = saved
    pd.testing.assert_frame_equal(block, columns, check_exact=True)
    assert (block.dtypes == "float64").all()
