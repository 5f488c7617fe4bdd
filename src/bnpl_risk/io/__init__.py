"""Artifacts: a fitted scorer as a directory of text files, verified on load."""

from bnpl_risk.io.artifacts import load_scorer, read_manifest, save_scorer

__all__ = ["load_scorer", "read_manifest", "save_scorer"]
