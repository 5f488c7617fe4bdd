"""Save and load a fitted :class:`RiskScorer` as a directory of text files. No pickle.

Layout::

    model.txt        LightGBM model text (Booster.model_to_string)
    features.json    FeatureBuilder state (windows, feature names and order)
    model.json       CreditModel state (parameters, encodings, calibration)
    grades.json      GradeScale
    policy.json      Policy
    manifest.json    format, library and LightGBM versions, feature list,
                     training-data fingerprint, metrics, sha256 of every file

``load_scorer`` checks the format, the versions, every file's hash and that
the feature lists agree, and fails with :class:`ArtifactError` naming the
file, what was expected and what was found.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import lightgbm

from bnpl_risk._version import __version__
from bnpl_risk.errors import ArtifactError
from bnpl_risk.features import FeatureBuilder
from bnpl_risk.grading import GradeScale
from bnpl_risk.model import CreditModel
from bnpl_risk.policy import Policy
from bnpl_risk.scorer import RiskScorer

__all__ = ["FORMAT", "load_scorer", "read_manifest", "save_scorer"]

FORMAT = "bnpl_risk.scorer/1"
_MANIFEST = "manifest.json"
_COMPONENTS = ("model.txt", "features.json", "model.json", "grades.json", "policy.json")


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _json(data: Any) -> str:
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _minor(version: str) -> str:
    return ".".join(version.split(".")[:2])


def save_scorer(
    scorer: RiskScorer,
    path: str | os.PathLike,
    *,
    metrics: dict | None = None,
    training: dict | None = None,
) -> Path:
    """Write a fitted scorer to directory ``path`` (replaced atomically if it exists).

    Parameters
    ----------
    scorer : RiskScorer
        Fitted.
    path : path-like
    metrics : dict, optional
        Held-out metrics to record (plain numbers).
    training : dict, optional
        Facts about the training data, such as its ``fingerprint``.

    Returns
    -------
    Path of the directory.
    """
    scorer._check_fitted()
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    texts = {
        "model.txt": scorer.model_.booster_.model_to_string(),
        "features.json": _json(scorer.features_.to_state()),
        "model.json": _json(scorer.model_.to_state()),
        "grades.json": scorer.grades_.to_json() + "\n",
        "policy.json": scorer.policy_.to_json() + "\n",
    }
    for name, text in texts.items():
        (staging / name).write_text(text, encoding="utf-8")
    manifest = {
        "format": FORMAT,
        "library_version": __version__,
        "lightgbm_version": lightgbm.__version__,
        "feature_names": list(scorer.features_.get_feature_names_out()),
        "label": {"horizon_days": scorer.horizon_days, "dpd_threshold": scorer.dpd_threshold},
        "training": training or {},
        "metrics": metrics or {},
        "files": {name: _sha256(staging / name) for name in texts},
    }
    (staging / _MANIFEST).write_text(_json(manifest), encoding="utf-8")
    if target.exists():
        old = target.with_name(f".{target.name}.old")
        shutil.rmtree(old, ignore_errors=True)
        target.rename(old)
        staging.rename(target)
        shutil.rmtree(old)
    else:
        staging.rename(target)
    return target


def read_manifest(path: str | os.PathLike) -> dict:
    """The manifest of a saved scorer, checked for format and versions."""
    directory = Path(path)
    file = directory / _MANIFEST
    if not file.is_file():
        raise ArtifactError(
            f"{directory} is not a saved scorer: {_MANIFEST} is missing. "
            "Pass the directory save_scorer (or bnpl-risk train --out) wrote."
        )
    try:
        manifest = json.loads(file.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ArtifactError(f"{file} is not valid JSON ({exc}); the artifact is damaged.") from None
    found = manifest.get("format") if isinstance(manifest, dict) else None
    if found != FORMAT:
        raise ArtifactError(f"{file}: format must be {FORMAT!r}; found {found!r}.")
    for key, ours in (("library_version", __version__), ("lightgbm_version", lightgbm.__version__)):
        saved = str(manifest.get(key))
        if _minor(saved) != _minor(ours):
            raise ArtifactError(
                f"{file}: saved with {key.split('_')[0]} {saved}, but {ours} is installed; "
                f"outputs would not be guaranteed identical. Install version {_minor(saved)}.* "
                "or retrain and save with this one."
            )
    return manifest


def load_scorer(path: str | os.PathLike) -> RiskScorer:
    """Load a scorer written by :func:`save_scorer`, verifying every file.

    Raises
    ------
    ArtifactError
        Missing, tampered, truncated or incompatible artifact; the message
        names the file, what was expected and what was found.
    """
    directory = Path(path)
    manifest = read_manifest(directory)
    hashes = manifest.get("files", {})
    for name in _COMPONENTS:
        file = directory / name
        if not file.is_file():
            raise ArtifactError(f"{file} is missing; the artifact is incomplete. Save it again.")
        found = _sha256(file)
        if hashes.get(name) != found:
            raise ArtifactError(
                f"{file} has been changed since it was saved: sha256 {found[:12]}... "
                f"where the manifest expects {str(hashes.get(name))[:12]}... Restore the "
                "original or save the scorer again."
            )
    read = {name: (directory / name).read_text(encoding="utf-8") for name in _COMPONENTS}
    features = FeatureBuilder.from_state(json.loads(read["features.json"]))
    model = CreditModel.from_state(read["model.txt"], json.loads(read["model.json"]))
    names = list(features.get_feature_names_out())
    if names != manifest.get("feature_names") or names != list(model.feature_names_in_):
        raise ArtifactError(
            f"{directory}: the feature lists of features.json, model.json and the manifest "
            "disagree; the files come from different scorers. Save the scorer again."
        )
    label = manifest.get("label", {})
    scorer = RiskScorer(
        horizon_days=label.get("horizon_days", 180), dpd_threshold=label.get("dpd_threshold", 30)
    )
    scorer.features_ = features
    scorer.model_ = model
    scorer.grades_ = GradeScale.from_json(read["grades.json"])
    scorer.policy_ = Policy.from_json(read["policy.json"])
    scorer.n_immature_ = manifest.get("training", {}).get("n_immature", 0)
    scorer.manifest_ = manifest
    return scorer
