"""LightGBM's model text: split into trees, parsed field by field, checked, rebuilt."""

from __future__ import annotations

import re

import numpy as np

from bnpl_risk.errors import ConfigError, format_keys

_TREE_FIELDS = (
    "num_leaves",
    "num_cat",
    "split_feature",
    "threshold",
    "decision_type",
    "left_child",
    "right_child",
    "leaf_value",
    "leaf_count",
    "internal_count",
    "cat_boundaries",
    "cat_threshold",
    "is_linear",
)


def _split_model_text(text: str) -> tuple[str, list[str]]:
    """Header and one text block per tree of a LightGBM model text."""
    end = text.find("end of trees")
    head, _, body = text[: end if end >= 0 else len(text)].partition("\nTree=")
    blocks = ["Tree=" + b for b in body.split("\nTree=")] if body else []
    return head + "\n", [b.strip() + "\n" for b in blocks]


def _header_value(header: str, key: str, default: str | None = None) -> str:
    found = re.search(rf"^{key}=(.*)$", header, flags=re.M)
    if found is None:
        if default is None:
            raise ConfigError(f"the LightGBM model text has no {key}= line; is it a model?")
        return default
    return found.group(1).strip()


def _parse_trees(blocks: list[str]) -> dict[str, list[str]]:
    """Each field's text per tree (an empty string where a tree has none)."""
    fields = {}
    for key in _TREE_FIELDS:
        pattern = re.compile(rf"^{key}=(.*)$", flags=re.M)
        fields[key] = [m.group(1) if (m := pattern.search(b)) else "" for b in blocks]
    return fields


def _check_supported(header: str, fields: dict) -> None:
    outputs = int(_header_value(header, "num_tree_per_iteration", "1"))
    if outputs != 1 or re.search(r"^average_output", header, flags=re.M):
        kind = f"{outputs} outputs per row" if outputs != 1 else "averaged trees (rf)"
        raise ConfigError(
            f"TreeShap supports single-output boosted models; this one has {kind}. "
            "Use booster.predict(X, pred_contrib=True) instead."
        )
    linear = [i for i, s in enumerate(fields["is_linear"]) if s.strip() not in ("", "0")]
    if linear:
        raise ConfigError(
            f"trees {format_keys(linear)} are linear trees, which have no TreeSHAP "
            "(LightGBM refuses them too). Train with linear_tree=False."
        )


def _numbers(parts: list[str], dtype) -> np.ndarray:
    return np.array(" ".join(parts).split(), dtype=dtype)


def _sub_model_text(header: str, blocks: list[str], trees) -> str:
    """A model text holding only ``trees``, for LightGBM to compute their contributions."""
    # tree_sizes lists every tree's length; without it LightGBM reads the trees in turn.
    head = re.sub(r"^tree_sizes=.*\n", "", header, flags=re.M)
    body = [re.sub(r"^Tree=\d+", f"Tree={i}", blocks[t]) for i, t in enumerate(trees)]
    return head + "\n" + "\n".join(body) + "\nend of trees\n"
