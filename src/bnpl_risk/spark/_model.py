"""Ship a saved scorer to Spark executors: its files in a broadcast, loaded once per worker.

The artifact only has to be readable by the driver. Each Python worker
writes the broadcast files to a temporary directory once and loads them
with :func:`~bnpl_risk.io.load_scorer`, which verifies every sha256, so an
executor scores with exactly the model the driver read.
"""

from __future__ import annotations

import functools
import hashlib
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from bnpl_risk.batch.book import load_worker_scorer
from bnpl_risk.errors import ArtifactError
from bnpl_risk.io import read_manifest
from bnpl_risk.scorer import RiskScorer

if TYPE_CHECKING:
    from pyspark import Broadcast

__all__ = ["ShippedModel", "ship"]


class ShippedModel:
    """A saved scorer's files, keyed (hashed and compared) by its manifest's sha256."""

    def __init__(self, files: dict[str, bytes]):
        self.files = files
        self.sha = hashlib.sha256(files["manifest.json"]).hexdigest()

    def __hash__(self) -> int:
        return hash(self.sha)

    def __eq__(self, other) -> bool:
        return isinstance(other, ShippedModel) and other.sha == self.sha

    def scorer(self) -> RiskScorer:
        """The scorer, loaded once per process (one LightGBM thread: Spark runs the tasks)."""
        return _load(self)


def ship(spark, model) -> Broadcast[ShippedModel]:
    """Read the artifact in ``model`` (checked) and broadcast it; returns the broadcast."""
    directory = Path(model)
    manifest = read_manifest(directory)
    names = ["manifest.json", *manifest.get("files", {})]
    missing = [n for n in names if not (directory / n).is_file()]
    if missing:
        raise ArtifactError(f"{directory} is incomplete: {', '.join(missing)} missing. Save again.")
    files = {name: (directory / name).read_bytes() for name in names}
    return spark.sparkContext.broadcast(ShippedModel(files))


@functools.lru_cache(maxsize=2)
def _load(shipped: ShippedModel) -> RiskScorer:
    with tempfile.TemporaryDirectory(prefix="bnpl-risk-model-") as tmp:
        for name, data in shipped.files.items():
            (Path(tmp) / name).write_bytes(data)
        return load_worker_scorer(tmp)
