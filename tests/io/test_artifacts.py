import json

import numpy as np
import pandas as pd
import pytest

from bnpl_risk.datasets import make_bnpl_histories
from bnpl_risk.errors import ArtifactError
from bnpl_risk.io import load_scorer, save_scorer
from bnpl_risk.scorer import RiskScorer


@pytest.fixture(scope="module")
def book():
    return make_bnpl_histories(600, seed=4)


@pytest.fixture(scope="module")
def saved(book, tmp_path_factory):
    scorer = RiskScorer(random_state=0).fit(book.histories, book.applications)
    path = save_scorer(scorer, tmp_path_factory.mktemp("art") / "model", metrics={"auc": 0.8})
    return scorer, path


def test_round_trip_gives_bit_identical_outputs(book, saved):
    scorer, path = saved
    loaded = load_scorer(path)
    a = scorer.decide(book.histories, book.applications)
    b = loaded.decide(book.histories, book.applications)
    pd.testing.assert_frame_equal(a, b, check_exact=True)


def test_artifact_is_text_with_hashes_and_no_pickle(saved):
    _, path = saved
    manifest = json.loads((path / "manifest.json").read_text())
    assert sorted(manifest["files"]) == sorted(
        ["model.txt", "features.json", "model.json", "grades.json", "policy.json"]
    )
    assert manifest["metrics"] == {"auc": 0.8}
    for file in path.iterdir():
        file.read_text(encoding="utf-8")  # every file is text
        assert file.suffix in (".txt", ".json")


def _copy(path, tmp_path):
    import shutil

    target = tmp_path / "copy"
    shutil.copytree(path, target)
    return target


def test_tampered_file_is_refused(saved, tmp_path):
    target = _copy(saved[1], tmp_path)
    text = (target / "policy.json").read_text().replace("20000.0", "90000.0")
    (target / "policy.json").write_text(text)
    with pytest.raises(ArtifactError, match="policy.json has been changed since it was saved"):
        load_scorer(target)


def test_truncated_model_is_refused(saved, tmp_path):
    target = _copy(saved[1], tmp_path)
    text = (target / "model.txt").read_text()
    (target / "model.txt").write_text(text[: len(text) // 2])
    with pytest.raises(ArtifactError, match="model.txt has been changed"):
        load_scorer(target)


def test_missing_file_and_missing_manifest_are_named(saved, tmp_path):
    target = _copy(saved[1], tmp_path)
    (target / "grades.json").unlink()
    with pytest.raises(ArtifactError, match="grades.json is missing"):
        load_scorer(target)
    (target / "manifest.json").unlink()
    with pytest.raises(ArtifactError, match="manifest.json is missing"):
        load_scorer(target)


@pytest.mark.parametrize("key", ["library_version", "lightgbm_version"])
def test_incompatible_versions_are_refused(saved, tmp_path, key):
    target = _copy(saved[1], tmp_path)
    manifest = json.loads((target / "manifest.json").read_text())
    manifest[key] = "0.0.1"
    (target / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ArtifactError, match="saved with .* 0.0.1, but .* is installed"):
        load_scorer(target)


def test_saving_again_replaces_the_directory(book, saved):
    scorer, path = saved
    save_scorer(scorer, path)
    loaded = load_scorer(path)
    apps = book.applications.head(5)
    np.testing.assert_array_equal(
        loaded.predict_pd(book.histories, apps), scorer.predict_pd(book.histories, apps)
    )
