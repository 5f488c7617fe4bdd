"""The feature frame a model was fitted on, and the one conversion to a float matrix.

:class:`FrameSpec` records the column names and order, which columns are
categorical, and each categorical column's vocabulary (sorted text of the
values seen at fit). :meth:`FrameSpec.encode` checks a frame against it
(names and order as sklearn's ``_check_feature_names`` does, then types and
values) and turns it into the float64 matrix LightGBM reads: numbers as
they are, categories as their position in the vocabulary, an unseen
category as missing (NaN), exactly like a missing value.
"""

from __future__ import annotations

import inspect
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.utils.validation import check_array

from bnpl_risk.errors import ArtifactError, BnplRiskError, format_keys

# sklearn 1.6 renamed force_all_finite; accept both so pandas>=2/sklearn>=1.3 keep working.
_FINITE = (
    "ensure_all_finite"
    if "ensure_all_finite" in inspect.signature(check_array).parameters
    else "force_all_finite"
)
_SHOWN = 5
_ROWS_AS_OBJECTS = 256


class FeatureError(BnplRiskError, ValueError):
    """The data given to a model does not match what it was fitted on, or cannot be used."""


@dataclass(frozen=True)
class FrameSpec:
    """What a model was fitted on.

    Attributes
    ----------
    names : tuple of str
        Feature names in order, as text (``x0, x1, ...`` when fitted on an array).
    from_frame : bool
        Fitted on a DataFrame, so ``names`` are real and checked at predict.
    categories : dict of str to tuple of str
        Vocabulary of each categorical column, sorted.
    """

    names: tuple[str, ...]
    from_frame: bool
    categories: dict[str, tuple[str, ...]]
    _vocab: dict[str, np.ndarray] = field(init=False, repr=False, compare=False)
    _names: list[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        # Built once here so that encoding a single row does not rebuild them.
        vocab = {c: np.array(v, dtype=str) for c, v in self.categories.items()}
        object.__setattr__(self, "_vocab", vocab)
        object.__setattr__(self, "_names", list(self.names))

    @property
    def categorical_positions(self) -> list[int]:
        """Positions of the categorical columns."""
        return [j for j, name in enumerate(self.names) if name in self.categories]

    @classmethod
    def learn(cls, X, owner: str) -> FrameSpec:
        """Learn names, kinds and vocabularies from a training frame or array."""
        if not isinstance(X, pd.DataFrame):
            matrix = _check_array(X, owner, min_rows=1)
            return cls(tuple(f"x{i}" for i in range(matrix.shape[1])), False, {})
        names = tuple(str(c) for c in X.columns)
        _check_unique(pd.Index(names))
        if len(X) == 0:
            raise FeatureError(f"{owner} cannot fit on a frame with 0 rows.")
        categories = {}
        unusable = []
        for j, (name, dtype) in enumerate(zip(names, X.dtypes, strict=True)):
            if _is_categorical(dtype):
                values = X.iloc[:, j].dropna().unique()
                categories[name] = tuple(sorted({str(v) for v in values}))
            elif not _is_numeric(dtype):
                unusable.append(f"{name} ({dtype})")
        if unusable:
            raise FeatureError(
                f"columns {format_keys(unusable)} are neither numbers nor categories. "
                "Convert them (e.g. a timestamp to days since an event) or drop them."
            )
        return cls(names, True, categories)

    def encode(self, X, owner: str, *, min_rows: int = 0) -> np.ndarray:
        """Check ``X`` against the spec and return it as a float64 matrix in feature order.

        Raises
        ------
        FeatureError
            Names or order differ, a numeric column holds text, or a value is infinite.
        ValueError
            From :func:`sklearn.utils.check_array` for malformed arrays.
        """
        if not isinstance(X, pd.DataFrame):
            if self.categories:
                raise FeatureError(
                    f"{owner} was fitted on a DataFrame with categorical columns "
                    f"({format_keys(self.categories)}); pass a DataFrame with those columns."
                )
            matrix = _check_array(X, owner, min_rows)
            self._check_count(matrix.shape[1], owner)
            if self.from_frame:
                warnings.warn(
                    f"X does not have valid feature names, but {owner} was fitted with "
                    "feature names",
                    UserWarning,
                    stacklevel=3,
                )
            return matrix
        if self.from_frame:
            self._check_names(X.columns)
        else:
            self._check_count(X.shape[1], owner)
            warnings.warn(
                f"X has feature names, but {owner} was fitted without feature names",
                UserWarning,
                stacklevel=3,
            )
        if len(X) < min_rows:
            raise FeatureError(f"{owner} cannot fit on a frame with {len(X)} rows.")
        return self._encode_frame(X)

    def _check_count(self, n_columns: int, owner: str) -> None:
        if n_columns != len(self.names):
            raise FeatureError(
                f"X has {n_columns} features, but {owner} is expecting {len(self.names)} "
                "features as input."
            )

    def _check_names(self, columns: pd.Index) -> None:
        # Names compare as text, as they were stored at fit.
        found = columns.tolist()
        if found == self._names:
            return
        columns = pd.Index([str(c) for c in found], dtype=object)
        if columns.tolist() == self._names:
            return
        _check_unique(columns)
        unseen = sorted(set(columns) - set(self.names))
        missing = sorted(set(self.names) - set(columns))
        message = "The feature names should match those that were passed during fit.\n"
        if unseen:
            message += "Feature names unseen at fit time:\n" + _listed(unseen)
        if missing:
            message += "Feature names seen at fit time, yet now missing:\n" + _listed(missing)
        if not unseen and not missing:
            message += "Feature names must be in the same order as they were in fit.\n"
        raise FeatureError(
            message + "Pass the columns the model was fitted on, in that order: "
            "X[model.feature_names_in_]."
        )

    def _encode_frame(self, X: pd.DataFrame) -> np.ndarray:
        try:
            if not self.categories:
                matrix = X.to_numpy(dtype=np.float64, na_value=np.nan)
            else:
                matrix = np.empty(X.shape, dtype=np.float64)
                # Few rows: one conversion of the whole frame beats one per column.
                block = X.to_numpy(dtype=object) if len(X) <= _ROWS_AS_OBJECTS else None
                for j, name in enumerate(self.names):  # a loop over columns, not rows
                    column = X.iloc[:, j] if block is None else block[:, j]
                    if name in self._vocab:
                        matrix[:, j] = _codes(column, self._vocab[name])
                    else:
                        matrix[:, j] = _floats(column)
        except (TypeError, ValueError):
            raise self._not_numbers(X) from None
        infinite = np.isinf(matrix)
        if infinite.any():
            columns = np.asarray(self.names)[infinite.any(axis=0)]
            raise FeatureError(
                f"columns {format_keys(columns)} hold infinite values in "
                f"{int(infinite.any(axis=1).sum())} rows. Features must be finite or NaN; "
                "fix the division or cap that makes them infinite."
            )
        return matrix

    def _not_numbers(self, X: pd.DataFrame) -> FeatureError:
        texts = [
            f"{name} ({dtype})"
            for name, dtype in zip(self.names, X.dtypes, strict=True)
            if name not in self.categories and not _is_numeric(dtype)
        ]
        return FeatureError(
            f"columns {format_keys(texts)} were numbers at fit but hold values that are not "
            "now. Convert them to a numeric dtype (pd.to_numeric)."
        )

    def to_dict(self) -> dict:
        """JSON-ready form."""
        return {
            "names": list(self.names),
            "from_frame": self.from_frame,
            "categories": {k: list(v) for k, v in self.categories.items()},
        }

    @classmethod
    def from_dict(cls, data: dict) -> FrameSpec:
        """Rebuild from :meth:`to_dict`; ArtifactError when malformed."""
        try:
            names = tuple(str(n) for n in data["names"])
            categories = {str(k): tuple(map(str, v)) for k, v in data["categories"].items()}
            spec = cls(names, bool(data["from_frame"]), categories)
        except (KeyError, TypeError, AttributeError) as exc:
            raise ArtifactError(
                f"the feature list in the saved state is malformed ({exc!r}); re-save the model."
            ) from None
        if not set(categories) <= set(names):
            raise ArtifactError(
                f"the saved state has categories for {format_keys(set(categories) - set(names))}, "
                "which are not features; re-save the model."
            )
        return spec


def _check_array(X, owner: str, min_rows: int) -> np.ndarray:
    return check_array(
        X,
        dtype=np.float64,
        estimator=owner,
        ensure_min_samples=min_rows,
        input_name="X",
        **{_FINITE: "allow-nan"},
    )


def _check_unique(columns: pd.Index) -> None:
    if columns.has_duplicates:
        raise FeatureError(
            f"column names appear more than once: {format_keys(columns[columns.duplicated()])}. "
            "Give every feature one column."
        )


def _is_categorical(dtype) -> bool:
    # Object, pandas string and category dtypes all report kind "O"; Arrow strings "U".
    return dtype.kind in "OSU"


def _is_numeric(dtype) -> bool:
    return dtype.kind in "biuf"


def _listed(names: list) -> str:
    lines = "".join(f"- {n}\n" for n in names[:_SHOWN])
    more = len(names) - _SHOWN
    return lines + (f"- ... and {more} more\n" if more > 0 else "")


def _floats(column: pd.Series | np.ndarray) -> np.ndarray:
    """A column (or an object array of its values) as float64, missing as NaN."""
    if isinstance(column, pd.Series):
        return column.to_numpy(dtype=np.float64, na_value=np.nan)
    return np.where(pd.isna(column), np.nan, column).astype(np.float64)


def _codes(column: pd.Series | np.ndarray, vocabulary: np.ndarray) -> np.ndarray:
    """Position of each value's text in the sorted ``vocabulary``; NaN when missing or unseen."""
    values = np.asarray(column, dtype=object)
    texts = values.astype(str)
    at = np.searchsorted(vocabulary, texts).clip(max=max(len(vocabulary) - 1, 0))
    known = ~pd.isna(values) & (vocabulary[at] == texts if len(vocabulary) else False)
    return np.where(known, at, np.nan)
