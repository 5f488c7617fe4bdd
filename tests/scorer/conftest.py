"""One book and one fitted scorer shared by the scorer tests (fitting is the slow part)."""

import pytest

from bnpl_risk.datasets import make_bnpl_histories
from bnpl_risk.scorer import RiskScorer


@pytest.fixture(scope="session")
def book():
    return make_bnpl_histories(800, seed=3)


@pytest.fixture(scope="session")
def scorer(book):
    return RiskScorer(random_state=0).fit(book.histories, book.applications)
