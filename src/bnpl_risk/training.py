"""Train a scorer on earlier applications and evaluate it on later ones (out of time).

Examples
--------
>>> from bnpl_risk.datasets import make_bnpl_histories
>>> book = make_bnpl_histories(500, seed=2)
>>> result = train_and_evaluate(book.histories, book.applications)
>>> sorted(result.metrics)[:3]
['auc', 'bad_rate', 'brier']
>>> bool(result.test["as_of"].min() >= result.train["as_of"].max())
True
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from bnpl_risk.errors import ConfigError
from bnpl_risk.evaluation import grade_table, summary
from bnpl_risk.histories import Histories
from bnpl_risk.histories.fingerprint import fingerprint
from bnpl_risk.labels import make_labels
from bnpl_risk.scorer import RiskScorer

__all__ = ["TrainingResult", "train_and_evaluate"]


@dataclass(frozen=True)
class TrainingResult:
    """A scorer fitted on the earlier applications, with its held-out evaluation.

    Attributes
    ----------
    scorer : RiskScorer
    train, test : DataFrame
        The applications of each part (immature ones included; they carry
        ``<NA>`` labels and are left out of fitting and metrics).
    labels : Series
        Labels of every application (1, 0, ``<NA>``).
    scored_test : DataFrame
        Decisions of the test applications (pd, score, grade, limit, ...).
    metrics : dict
        :func:`bnpl_risk.evaluation.summary` on the test part.
    grades : DataFrame
        :func:`bnpl_risk.evaluation.grade_table` on the test part.
    training : dict
        Fingerprint and counts of the training data, for the artifact.
    """

    scorer: RiskScorer
    train: pd.DataFrame
    test: pd.DataFrame
    labels: pd.Series
    scored_test: pd.DataFrame
    metrics: dict
    grades: pd.DataFrame
    training: dict


def train_and_evaluate(
    histories: Histories,
    applications: pd.DataFrame,
    *,
    horizon_days: int = 180,
    dpd_threshold: int = 30,
    test_fraction: float = 0.2,
    random_state: int = 0,
) -> TrainingResult:
    """Split mature applications by ``as_of``, fit on the earlier, score the later.

    The latest ``test_fraction`` of mature applications (by ``as_of``) is
    the test part; every application before the cut is training data.
    """
    if not 0 < test_fraction < 1:
        raise ConfigError(f"test_fraction must be in (0, 1); found {test_fraction!r}.")
    labels = make_labels(
        histories, applications, horizon_days=horizon_days, dpd_threshold=dpd_threshold
    )
    as_of = pd.to_datetime(applications["as_of"])
    mature = labels.notna().to_numpy()
    if mature.sum() < 2:
        raise ConfigError(
            f"train: only {int(mature.sum())} of {len(labels)} applications are mature under a "
            f"{horizon_days}-day horizon; there is nothing to train and test on. Use a book "
            "with a longer history or a shorter horizon."
        )
    cut = np.quantile(as_of[mature].to_numpy().astype("int64"), 1 - test_fraction)
    is_test = (as_of.to_numpy().astype("int64") >= cut) & mature
    is_train = as_of.to_numpy().astype("int64") < cut
    train, test = applications[is_train], applications[is_test]
    scorer = RiskScorer(
        horizon_days=horizon_days, dpd_threshold=dpd_threshold, random_state=random_state
    ).fit(histories, train, labels[is_train])
    scored = scorer.decide(histories, test)
    y = labels[is_test]
    metrics = summary(y, scored["pd"], score=scored["score"])
    grades = grade_table(y, scored["pd"], scored["grade"], grades=scorer.grades_.grades)
    training = {
        "fingerprint": fingerprint({**histories.tables(), "applications": train}),
        "n_applications": int(len(train)),
        "n_immature": scorer.n_immature_,
        "as_of_until": str(pd.Timestamp(cut)),
        "horizon_days": horizon_days,
        "dpd_threshold": dpd_threshold,
    }
    return TrainingResult(scorer, train, test, labels, scored, metrics, grades, training)
