"""The service path: one customer's own rows give the batch's features, to the bit."""

import numpy as np
import pandas as pd
from features_testkit import books, own_rows
from hypothesis import HealthCheck, given, settings

from bnpl_risk.features import FeatureBuilder

EXAMPLES = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@EXAMPLES
@given(books())
def test_transform_one_from_own_rows_equals_the_batch_row(book):
    h, apps = book
    fb = FeatureBuilder().fit(h, apps)
    batch = fb.transform(h, apps)
    assert (batch.dtypes == "float64").all()
    for i, app in enumerate(apps.itertuples()):
        requested = None if pd.isna(app.requested_amount) else app.requested_amount
        x = fb.transform_one(
            own_rows(h, app.customer_id), app.customer_id, app.as_of, requested, app.channel
        )
        np.testing.assert_array_equal(x, batch.iloc[i].to_numpy())
