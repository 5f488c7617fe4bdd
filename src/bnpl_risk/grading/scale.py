"""PD -> score (PDO scaling) -> grade (master scale)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import pairwise

import numpy as np
import pandas as pd

from bnpl_risk.config import Config, require
from bnpl_risk.errors import ConfigError

__all__ = ["GradeScale"]


@dataclass(frozen=True)
class GradeScale(Config):
    """Score and master scale of a calibrated probability of default.

    ``score = offset + factor * ln(odds good:bad)`` with
    ``factor = pdo / ln 2`` and ``offset = base_score - factor * ln(base_odds)``,
    clipped to ``[min_score, max_score]``. A PD gets the first grade whose
    upper bound it is below; the last grade has no upper bound.

    Attributes
    ----------
    version : str, default "1"
        Bumped whenever a committee changes the scale.
    base_score : float, default 600
        Score at ``base_odds``.
    base_odds : float, default 50
        Good:bad odds that score ``base_score``.
    pdo : float, default 20
        Points to double the odds.
    min_score, max_score : float, default 300 and 900
        Clip range of the score.
    grades : tuple of str, default ("A", "B", "C", "D", "E")
        Best first.
    pd_upper : tuple of float, default (0.01, 0.03, 0.07, 0.15)
        Exclusive PD upper bound of every grade but the last, increasing.

    Examples
    --------
    >>> scale = GradeScale()
    >>> scale.score([1 / 51, 1 / 101]).tolist()
    [600.0, 620.0]
    >>> scale.grade([0.005, 0.01, 0.05, 0.2]).tolist()
    ['A', 'B', 'C', 'E']
    """

    version: str = "1"
    base_score: float = 600.0
    base_odds: float = 50.0
    pdo: float = 20.0
    min_score: float = 300.0
    max_score: float = 900.0
    grades: tuple[str, ...] = ("A", "B", "C", "D", "E")
    pd_upper: tuple[float, ...] = (0.01, 0.03, 0.07, 0.15)

    def __post_init__(self) -> None:
        name = type(self).__name__
        require(
            isinstance(self.version, str) and self.version != "",
            name,
            "version",
            "a non-empty string",
            self.version,
        )
        for field in ("base_score", "base_odds", "pdo", "min_score", "max_score"):
            value = getattr(self, field)
            require(
                isinstance(value, (int, float))
                and not isinstance(value, bool)
                and math.isfinite(value),
                name,
                field,
                "a finite number",
                value,
            )
        require(self.base_odds > 0, name, "base_odds", "> 0", self.base_odds)
        require(self.pdo > 0, name, "pdo", "> 0", self.pdo)
        require(
            self.min_score < self.max_score,
            name,
            "min_score",
            f"below max_score ({self.max_score})",
            self.min_score,
        )
        require(
            len(self.grades) >= 2
            and len(set(self.grades)) == len(self.grades)
            and all(isinstance(g, str) and g for g in self.grades),
            name,
            "grades",
            "at least two distinct non-empty names",
            self.grades,
        )
        bounds = self.pd_upper
        require(
            len(bounds) == len(self.grades) - 1,
            name,
            "pd_upper",
            f"one bound per grade but the last ({len(self.grades) - 1})",
            bounds,
        )
        require(
            all(isinstance(b, (int, float)) and 0 < b < 1 for b in bounds)
            and all(a < b for a, b in pairwise(bounds)),
            name,
            "pd_upper",
            "strictly increasing numbers in (0, 1)",
            bounds,
        )

    @property
    def factor(self) -> float:
        """Points per unit of log-odds."""
        return self.pdo / math.log(2.0)

    @property
    def offset(self) -> float:
        """Score at even odds."""
        return self.base_score - self.factor * math.log(self.base_odds)

    def score(self, pd_) -> np.ndarray:
        """Score of each PD, clipped to ``[min_score, max_score]``.

        Raises
        ------
        ConfigError
            If a PD is missing or outside [0, 1].
        """
        return self._score(_check_pd(pd_))

    def grade(self, pd_) -> np.ndarray:
        """Grade of each PD (object array of grade names)."""
        return self._grade(_check_pd(pd_))

    def score_and_grade(self, pd_) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`score` and :meth:`grade` of each PD, the PDs checked once.

        Examples
        --------
        >>> score, grade = GradeScale().score_and_grade([1 / 51, 0.2])
        >>> score.round(1).tolist(), grade.tolist()
        ([600.0, 527.1], ['B', 'E'])
        """
        p = _check_pd(pd_)
        return self._score(p), self._grade(p)

    def _score(self, p: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore"):
            raw = self.offset + self.factor * (np.log1p(-p) - np.log(p))
        # np.clip's Python wrapper costs more than the arithmetic of one PD; raw is
        # never NaN (p is checked), so this is the same clip.
        return np.minimum(np.maximum(raw, self.min_score), self.max_score)

    def _grade(self, p: np.ndarray) -> np.ndarray:
        idx = np.searchsorted(self.pd_upper, p, side="right")
        return np.asarray(self.grades, dtype=object)[idx]

    def rank(self, grade) -> np.ndarray:
        """Position of each grade name, 0 for the best.

        Examples
        --------
        >>> GradeScale().rank(["A", "E"]).tolist()
        [0, 4]
        """
        order = {g: i for i, g in enumerate(self.grades)}
        names = np.asarray(grade, dtype=object).ravel()
        unknown = sorted({str(g) for g in names if g not in order})
        if unknown:
            raise ConfigError(
                f"GradeScale.rank: unknown grades {unknown}; expected one of {list(self.grades)}."
            )
        return np.array([order[g] for g in names], dtype=np.int64)

    def table(self) -> pd.DataFrame:
        """The master scale a credit committee signs off: one row per grade.

        Columns: grade, pd_from, pd_to, score_from, score_to. A last row
        ``Missing`` states that a missing PD is never graded (an error).
        """
        lows = (0.0, *self.pd_upper)
        highs = (*self.pd_upper, 1.0)
        rows = [
            {
                "grade": g,
                "pd_from": lo,
                "pd_to": hi,
                "score_from": float(self.score(hi)[0]),
                "score_to": float(self.score(lo)[0]),
            }
            for g, lo, hi in zip(self.grades, lows, highs, strict=True)
        ]
        rows.append(
            {
                "grade": "Missing",
                "pd_from": np.nan,
                "pd_to": np.nan,
                "score_from": np.nan,
                "score_to": np.nan,
            }
        )
        return pd.DataFrame(rows)


def _check_pd(pd_) -> np.ndarray:
    p = np.atleast_1d(np.asarray(pd_, dtype=float))
    bad = ~((p >= 0) & (p <= 1))
    if bad.any():
        raise ConfigError(
            f"GradeScale: PD must be a number in [0, 1]; {int(bad.sum())} of {p.size} are not "
            f"(first: {p[bad][0]!r}). Score only calibrated, non-missing PDs."
        )
    return p
