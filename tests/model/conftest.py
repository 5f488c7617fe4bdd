"""Fixtures: a synthetic book, a model fitted on it, a stand-in registry."""

import pytest
from model_testkit import FAKE_REGISTRY, FAST, make_book

from bnpl_risk.model import CreditModel, _lgbm


@pytest.fixture
def fake_registry(monkeypatch):
    monkeypatch.setattr(_lgbm, "registry", lambda: FAKE_REGISTRY)
    return FAKE_REGISTRY


@pytest.fixture(scope="module")
def book():
    return make_book(3000)


@pytest.fixture(scope="module")
def model(book):
    X, y, _ = book
    return CreditModel(monotone={"late_days": 1, "income": -1}, **FAST).fit(X, y)
