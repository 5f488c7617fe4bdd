"""Model text + JSON state rebuild a model with bit-identical outputs."""

import json

import numpy as np
import pytest

from bnpl_risk.errors import ArtifactError
from bnpl_risk.model import STATE_FORMAT, CreditModel, FeatureError


def _round_trip(model):
    text = model.booster_.model_to_string()
    return CreditModel.from_state(text, json.loads(json.dumps(model.to_state())))


def test_rebuilt_model_gives_identical_outputs(model, book):
    X, _, _ = book
    again = _round_trip(model)
    assert np.array_equal(again.predict_proba(X), model.predict_proba(X))
    assert again.predict_contributions(X).equals(model.predict_contributions(X))
    assert again.get_params() == model.get_params()
    assert again.categories_ == model.categories_
    assert again.feature_names_in_.tolist() == model.feature_names_in_.tolist()
    assert again.calibrator_ == model.calibrator_


def test_rebuilt_model_still_checks_features(model, book):
    X, _, _ = book
    with pytest.raises(FeatureError, match="same order"):
        _round_trip(model).predict_proba(X[X.columns[::-1]])


def test_state_is_plain_json(model):
    state = model.to_state()
    assert json.loads(json.dumps(state)) == state
    assert state["format"] == STATE_FORMAT


def test_a_state_of_another_format_is_refused(model):
    state = model.to_state() | {"format": "other/9"}
    with pytest.raises(ArtifactError, match="format must be .* got 'other/9'"):
        CreditModel.from_state(model.booster_.model_to_string(), state)


def test_a_state_from_another_model_is_refused(model):
    state = model.to_state()
    state["features"] = state["features"] | {"names": ["late_days", "income"]}
    state["features"]["categories"] = {}
    with pytest.raises(ArtifactError, match="model text has 3 features but the state lists 2"):
        CreditModel.from_state(model.booster_.model_to_string(), state)


@pytest.mark.parametrize("key", ["params", "calibration", "classes"])
def test_a_truncated_state_is_refused(model, key):
    state = model.to_state()
    del state[key]
    with pytest.raises(ArtifactError, match="malformed"):
        CreditModel.from_state(model.booster_.model_to_string(), state)


def test_damaged_model_text_is_refused(model):
    with pytest.raises(ArtifactError, match="malformed"):
        CreditModel.from_state("tree\nnot a model", model.to_state())
