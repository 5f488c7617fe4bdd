"""RiskScorer: features -> calibrated PD -> score and grade -> decision.

Examples
--------
>>> from bnpl_risk.datasets import make_bnpl_histories
>>> book = make_bnpl_histories(400, seed=1)
>>> scorer = RiskScorer(random_state=0).fit(book.histories, book.applications)
>>> out = scorer.decide(book.histories, book.applications.head(3))
>>> list(out.columns)[:6]
['customer_id', 'pd', 'score', 'grade', 'approved', 'limit']
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

import numpy as np
import pandas as pd

from bnpl_risk.errors import ConfigError, NotFittedError, format_keys
from bnpl_risk.features import FeatureBuilder
from bnpl_risk.grading import GradeScale
from bnpl_risk.histories import Histories
from bnpl_risk.labels import make_labels
from bnpl_risk.model import CreditModel, FeatureError
from bnpl_risk.policy import FACTS, Decision, Policy, Reason, apply_policy
from bnpl_risk.policy.decide import decide_arrays

__all__ = ["RiskScorer"]

log = logging.getLogger("bnpl_risk")


class RiskScorer:
    """The four stages composed: FeatureBuilder, CreditModel, GradeScale, Policy.

    Parameters
    ----------
    features : FeatureBuilder, optional
    model : CreditModel, optional
    grades : GradeScale, optional
    policy : Policy, optional
    horizon_days, dpd_threshold : int, default 180 and 30
        Label definition used when ``fit`` makes the labels itself.
    random_state : int, default 0
        Passed to the default CreditModel.

    Attributes
    ----------
    features_, model_, grades_, policy_ : the fitted stages.
    n_immature_ : int
        Applications left out of training because their window is open.
    """

    def __init__(
        self,
        *,
        features: FeatureBuilder | None = None,
        model: CreditModel | None = None,
        grades: GradeScale | None = None,
        policy: Policy | None = None,
        horizon_days: int = 180,
        dpd_threshold: int = 30,
        random_state: int = 0,
    ) -> None:
        self.features = features
        self.model = model
        self.grades = grades
        self.policy = policy
        self.horizon_days = horizon_days
        self.dpd_threshold = dpd_threshold
        self.random_state = random_state

    def fit(
        self,
        histories: Histories,
        applications: pd.DataFrame,
        labels: pd.Series | None = None,
    ) -> RiskScorer:
        """Build features, drop immature labels, train and calibrate the model.

        ``labels`` default to :func:`make_labels` with this scorer's horizon
        and DPD threshold. Early stopping and calibration hold out the
        latest applications (time-ordered by ``as_of``).
        """
        if labels is None:
            labels = make_labels(
                histories,
                applications,
                horizon_days=self.horizon_days,
                dpd_threshold=self.dpd_threshold,
            )
        labels = labels.reindex(pd.Index(applications["application_id"]))
        mature = labels.notna().to_numpy()
        self.n_immature_ = int((~mature).sum())
        if mature.sum() == 0:
            raise ConfigError(
                f"RiskScorer.fit: all {len(labels)} applications are immature (their "
                f"{self.horizon_days}-day window closes after the data ends); nothing to learn. "
                "Pass earlier applications or a shorter horizon_days."
            )
        log.info("fit: %d applications, %d immature left out", len(labels), self.n_immature_)
        train = applications[mature]
        self.features_ = (FeatureBuilder() if self.features is None else self.features).fit(
            histories, train
        )
        X = self.features_.transform(histories, train)
        self.model_ = (
            CreditModel(random_state=self.random_state) if self.model is None else self.model
        )
        self.model_.fit(X, labels[mature].astype(int).to_numpy(), time=train["as_of"].to_numpy())
        self.grades_ = self.grades or GradeScale()
        self.policy_ = self.policy or Policy.default()
        return self

    def _check_fitted(self) -> None:
        if not hasattr(self, "model_"):
            raise NotFittedError(
                "This RiskScorer is not fitted yet; call fit(histories, applications) or "
                "load one with load_scorer(path)."
            )

    def _features(self, histories: Histories, applications: pd.DataFrame) -> pd.DataFrame:
        self._check_fitted()
        return self.features_.transform(histories, applications)

    def _graded(self, X: pd.DataFrame) -> pd.DataFrame:
        pd_ = self.model_.predict_proba(X)[:, 1]
        score, grade = self.grades_.score_and_grade(pd_)
        return pd.DataFrame({"pd": pd_, "score": score, "grade": grade}, index=X.index)

    def predict_pd(self, histories: Histories, applications: pd.DataFrame) -> pd.Series:
        """Calibrated probability of default per application_id."""
        return self.score(histories, applications)["pd"]

    def score(self, histories: Histories, applications: pd.DataFrame) -> pd.DataFrame:
        """PD, score and grade per application_id."""
        return self._graded(self._features(histories, applications))

    def explain(self, histories: Histories, applications: pd.DataFrame, k: int = 4) -> pd.DataFrame:
        """The model's top ``k`` adverse reasons per application (see CreditModel.top_reasons)."""
        return self.model_.top_reasons(self._features(histories, applications), k=k)

    def assess(self, histories: Histories, applications: pd.DataFrame) -> pd.DataFrame:
        """What the policy reads: customer_id, pd, score, grade and every feature.

        This is the ``scored`` frame of :func:`bnpl_risk.policy.apply_policy`
        and :func:`bnpl_risk.policy.backtest`.
        """
        X = self._features(histories, applications)
        graded = self._graded(X)
        graded.insert(0, "customer_id", applications["customer_id"].to_numpy())
        return pd.concat([graded, X], axis=1)

    def decide(
        self,
        histories: Histories,
        applications: pd.DataFrame,
        *,
        blocked=(),
        reasons: bool = True,
    ) -> pd.DataFrame:
        """Decision per application: pd, score, grade, approved, limit, products, reasons.

        Model reasons (the top adverse contributions) are computed only for
        declined applications and reduced limits, which are the ones that
        carry reasons. ``reasons=False`` skips them (TreeSHAP costs more
        than scoring): the reason columns then hold the policy's rule
        reasons only, and everything else is unchanged.
        """
        scored = self.assess(histories, applications)
        X = scored[self.features_.get_feature_names_out()]
        explain = (
            (lambda rows: self._model_reasons(X.iloc[rows].to_numpy(float))) if reasons else None
        )
        out = apply_policy(self.policy_, scored, blocked=blocked, model_reasons=explain)
        return pd.concat([scored[["customer_id", "pd", "score", "grade"]], out], axis=1)

    def _model_reasons(self, matrix: np.ndarray) -> list[list[Reason]]:
        """The model's adverse reasons of feature rows in feature order."""
        top = self.model_.top_reasons_matrix(matrix, k=self.policy_.max_reasons)
        return [[Reason(*text) for text in row] for row in top]

    def decide_one(
        self,
        histories: Histories,
        customer_id: str,
        as_of,
        requested_amount: float | None = None,
        channel: str = "live_stream",
        *,
        blocked=(),
    ) -> Decision:
        """Decide one application at checkout from the customer's history rows.

        The same decision as the application's row of :meth:`decide`, built
        without frames or a second policy pass; the model's reasons
        (TreeSHAP) are computed only when the decision shows them.
        """
        self._check_fitted()
        application_id = f"{customer_id}@{pd.Timestamp(as_of).isoformat()}"
        x = self.features_.transform_one(
            histories,
            customer_id,
            as_of,
            requested_amount,
            channel,
            application_id=application_id,
        )
        return self._decide_row(x, application_id, str(customer_id), blocked)

    def decide_features(
        self, x, *, application_id: str = "", customer_id: str = "", blocked=()
    ) -> Decision:
        """Decide one application from its precomputed feature vector.

        The same decision as :meth:`decide_one` for the same application,
        without building features: for a service that keeps them fresh.

        Parameters
        ----------
        x : DataFrame, mapping or 1-D array
            A one-row DataFrame with the feature columns, a mapping of every
            feature name to its value, or the values in the order of
            ``features_.get_feature_names_out()``.
        application_id, customer_id : str
            Named in the decision; the customer id is checked against
            ``blocked``.
        blocked : iterable of str
            Customer ids on the block list.

        Raises
        ------
        FeatureError
            If features are missing, or the vector has the wrong length.

        Examples
        --------
        >>> from bnpl_risk.datasets import make_bnpl_histories
        >>> book = make_bnpl_histories(300, seed=2)
        >>> scorer = RiskScorer(random_state=0).fit(book.histories, book.applications)
        >>> app = book.applications.head(1)
        >>> a = app.iloc[0]
        >>> one = scorer.decide_one(
        ...     book.histories, a["customer_id"], a["as_of"], a["requested_amount"], a["channel"]
        ... )
        >>> x = scorer.features_.transform(book.histories, app)
        >>> scorer.decide_features(
        ...     x, application_id=one.application_id, customer_id=a["customer_id"]
        ... ) == one
        True
        """
        self._check_fitted()
        names = self.features_.feature_names_out_
        values = _feature_vector(x, names)
        return self._decide_row(values, str(application_id), str(customer_id), blocked)

    def _decide_row(self, row: np.ndarray, application_id: str, customer_id: str, blocked):
        """The decision of one feature vector, as :meth:`decide` makes it, without frames:
        model reasons only when the policy's outcome wants them."""
        X = row[None, :]
        pd_ = self.model_.predict_pd_matrix(X)
        score, grade = self.grades_.score_and_grade(pd_)
        policy = self.policy_
        needed = (*FACTS, *policy.bustout_thresholds)
        at = _fact_columns(self.features_.feature_index_, needed)
        facts = dict(zip(needed, row[at][:, None], strict=True))  # one value each
        facts["pd"] = pd_
        outcome = decide_arrays(policy, facts, grade, np.array([customer_id in set(blocked)]))
        model = self._model_reasons(X) if outcome.wants_model_reasons[0] else None
        (reasons,) = outcome.reasons(model, policy.max_reasons)
        codes, en, zh = zip(*reasons, strict=True) if reasons else ((), (), ())
        return Decision(
            application_id=application_id,
            pd=float(pd_[0]),
            score=float(score[0]),
            grade=str(grade[0]),
            approved=bool(outcome.approved[0]),
            limit=float(outcome.limit[0]),
            products=tuple(outcome.products[0]),
            reason_codes=codes,
            reasons_en=en,
            reasons_zh=zh,
            policy_version=policy.version,
        )


def _fact_columns(column: Mapping[str, int], needed: tuple[str, ...]) -> list[int]:
    """Positions of the features the policy reads, or FeatureError naming those missing."""
    try:
        return [column[c] for c in needed]
    except KeyError:
        missing = [c for c in needed if c not in column]
        raise FeatureError(
            f"the policy reads features {missing} that this scorer's FeatureBuilder "
            "does not build; fit it with windows that include them."
        ) from None


def _feature_vector(x, names) -> np.ndarray:
    """One application's features as floats in the order of ``names``, or FeatureError."""
    frame = isinstance(x, pd.DataFrame)
    if frame and len(x) != 1:
        raise FeatureError(
            f"decide_features takes one application; got {len(x)} rows. Use decide for many."
        )
    # A frame already in feature order needs no look-up: that costs more than the trees.
    in_order = frame and list(x.columns) == list(names)
    if (frame and not in_order) or isinstance(x, Mapping):
        missing = [n for n in names if n not in (x.columns if frame else x)]
        if missing:
            raise FeatureError(
                f"decide_features: features {format_keys(missing)} are missing; pass every "
                "name of features_.get_feature_names_out()."
            )
    try:
        if frame:
            values = (x if in_order else x[list(names)]).to_numpy(dtype=float)[0]
        elif isinstance(x, Mapping):
            values = np.array([x[n] for n in names], dtype=float)
        else:
            values = np.asarray(x, dtype=float)
    except (TypeError, ValueError) as exc:
        raise FeatureError(
            f"decide_features: feature values must be numbers ({exc}); convert them with "
            "pd.to_numeric or pass the output of features_.transform."
        ) from None
    if values.shape != (len(names),):
        raise FeatureError(
            f"decide_features: expected {len(names)} feature values in the order of "
            f"features_.get_feature_names_out(); got shape {values.shape}."
        )
    return values
