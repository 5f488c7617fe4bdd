"""A generated book, a scorer fitted on it, and the same book with bad rows, on disk."""

import pytest
from batch_testkit import N_CUSTOMERS, dirty_tables, reference, write_tables

from bnpl_risk.datasets import make_bnpl_histories
from bnpl_risk.io import save_scorer
from bnpl_risk.scorer import RiskScorer


@pytest.fixture(scope="session")
def book():
    return make_bnpl_histories(N_CUSTOMERS, seed=21)


@pytest.fixture(scope="session")
def scorer(book):
    return RiskScorer(random_state=0).fit(book.histories, book.applications)


@pytest.fixture(scope="session")
def model_dir(scorer, tmp_path_factory):
    return save_scorer(scorer, tmp_path_factory.mktemp("model") / "model")


@pytest.fixture(scope="session")
def tables(book):
    return dirty_tables(book)


@pytest.fixture(scope="session")
def data_dir(tables, tmp_path_factory):
    return write_tables(tables, tmp_path_factory.mktemp("book") / "parquet")


@pytest.fixture(scope="session")
def expected(tables, scorer):
    return reference(tables, scorer)
