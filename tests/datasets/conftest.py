"""One generated book shared by the dataset tests (generating it takes about a second)."""

import pytest

from bnpl_risk.datasets import make_bnpl_histories
from bnpl_risk.labels import make_labels


@pytest.fixture(scope="session")
def book():
    return make_bnpl_histories(5000, seed=11)


@pytest.fixture(scope="session")
def labels(book):
    return make_labels(book.histories, book.applications, horizon_days=180, dpd_threshold=30)
