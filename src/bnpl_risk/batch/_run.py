"""The output directory of a batch run, its manifest, and resuming.

Layout::

    manifest.json             what was scored with what, and which parts are done
    scores/part-00000.parquet decisions of chunk 0 (DECISION_SCHEMA)
    rejects/part-00000.parquet rejects of chunk 0 (REJECT_SCHEMA)
    .work/                    partitioned input, removed when the run completes

Every file is written under a temporary name and renamed into place
(``os.replace`` is atomic), and a part counts as done only once the
manifest lists it, so a run killed at any moment leaves nothing half
written that a restart would trust.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from bnpl_risk.batch._sources import TABLES
from bnpl_risk.errors import BnplRiskError

__all__ = ["ResumeError", "Run", "write_atomic"]

FORMAT = "bnpl_risk.batch/1"
MANIFEST = "manifest.json"
COUNTS = ["rows_in", "rows_scored", "rows_rejected"]
_OURS = (MANIFEST, "scores", "rejects", ".work")
_WHAT = {
    "format": "the output format",
    "library_version": "the bnpl_risk version",
    "model": "the model",
    "inputs": "the input files",
    "chunk_customers": "chunk_customers",
    "n_chunks": "the number of chunks",
    "reasons": "reasons",
}


class ResumeError(BnplRiskError, FileExistsError):
    """An output directory cannot be used as asked.

    It holds another run (resuming onto its parts would mix two runs'
    results), files that are not a run's, or, when reading results, a run
    that has not finished.
    """


class Run:
    """A batch run's output directory: its identity, finished parts and summary."""

    def __init__(self, out: Path, identity: dict, manifest: dict):
        self.out = out
        self.identity = identity
        self.manifest = manifest

    @classmethod
    def open(cls, out, identity: dict, *, overwrite: bool) -> Run:
        """Start a run in ``out``, or resume the same run found there.

        Raises
        ------
        ResumeError
            If ``out`` holds another run (different model, inputs or
            chunking) or files that are not a run's, unless ``overwrite``
            (which removes a previous run's files, never other files).
        """
        out = Path(out)
        names = [p.name for p in out.iterdir()] if out.is_dir() else []
        foreign = sorted(n for n in names if n.removesuffix(".tmp") not in _OURS)
        if foreign:
            raise ResumeError(
                f"{out} holds files that are not a scoring run's ({', '.join(foreign[:5])}); "
                "refusing to write there. Pass a new or empty --out directory."
            )
        file = out / MANIFEST
        old = _read(file) if file.is_file() else None
        if old is not None and not overwrite:
            differ = [k for k in _WHAT if old.get("identity", {}).get(k) != identity.get(k)]
            if differ:
                raise ResumeError(_mismatch(out, differ, old.get("identity", {}), identity))
            # Finished again by finish(); until then, readers see an unfinished run.
            old.pop("complete", None)
            return cls(out, identity, old)
        if names and not overwrite:
            raise ResumeError(
                f"{out} holds a run's files without its {MANIFEST}; they cannot be trusted. "
                "Pass --overwrite (overwrite=True) to discard them, or a new --out."
            )
        for name in names:
            _remove(out / name)
        out.mkdir(parents=True, exist_ok=True)
        run = cls(out, identity, {"identity": identity, "rows_in": None, "parts": {}})
        run.save()
        for sub in ("scores", "rejects"):
            (out / sub).mkdir(exist_ok=True)
        return run

    @classmethod
    def read(cls, out: Path) -> Run:
        """The finished run in ``out``, to read its results.

        Raises
        ------
        ResumeError
            If ``out`` holds no run, or an unfinished one.
        """
        file = out / MANIFEST
        if not file.is_file():
            raise ResumeError(
                f"{out} holds no scoring run ({MANIFEST} is missing). Pass the --out "
                "directory of bnpl-risk score (score_book)."
            )
        manifest = _read(file)
        if not manifest.get("complete"):
            identity = manifest["identity"]
            raise ResumeError(
                f"{out} holds an unfinished run: {len(manifest['parts'])} of "
                f"{identity['n_chunks']} chunks done. Run it again with the same arguments "
                "to finish it."
            )
        return cls(out, manifest["identity"], manifest)

    @property
    def work(self) -> Path:
        return self.out / ".work"

    def clear_work(self) -> None:
        _remove(self.work)

    @property
    def spilled(self) -> bool:
        """Whether the input was partitioned (and its rows counted)."""
        return self.manifest["rows_in"] is not None

    @property
    def rows_in(self) -> dict[str, int]:
        """Rows read per table by the spill."""
        return self.manifest["rows_in"]

    def part_paths(self, chunk: int) -> tuple[Path, Path]:
        name = f"part-{chunk:05d}.parquet"
        return self.out / "scores" / name, self.out / "rejects" / name

    def done(self, chunk: int) -> bool:
        """Whether the chunk is listed as finished and both its files are there."""
        return str(chunk) in self.manifest["parts"] and all(
            p.is_file() for p in self.part_paths(chunk)
        )

    def record_spill(self, rows_in: dict[str, int]) -> None:
        self.manifest["rows_in"] = rows_in
        self.save()

    def record_part(self, chunk: int, counts: dict) -> None:
        self.manifest["parts"][str(chunk)] = counts
        self.save()

    def summary(self) -> pd.DataFrame:
        """Rows in, scored and rejected per table, summed over the finished parts."""
        frames = [pd.DataFrame(c).T for c in self.manifest["parts"].values()]
        if not frames:
            return pd.DataFrame(columns=COUNTS, dtype="int64").rename_axis("table")
        total = pd.concat(frames).groupby(level=0).sum().reindex(TABLES)
        return total[COUNTS].astype("int64").rename_axis("table")

    def finish(self, summary: pd.DataFrame, seconds: float) -> None:
        self.manifest["complete"] = True
        self.manifest["summary"] = summary.to_dict(orient="index")
        self.manifest["seconds"] = seconds
        self.save()
        self.clear_work()

    def save(self) -> None:
        text = json.dumps(self.manifest, indent=2, sort_keys=True) + "\n"
        write_atomic(self.out / MANIFEST, text.encode())


def write_atomic(path: Path, data: bytes | pa.Table) -> None:
    """Write bytes or an Arrow table (as Parquet) to ``path`` via a temporary file and a rename.

    The file is flushed to disk before the rename, so after a crash a part
    is either complete under its name or absent.
    """
    tmp = path.with_name(path.name + ".tmp")
    if isinstance(data, pa.Table):
        pq.write_table(data, tmp)
    else:
        tmp.write_bytes(data)
    with open(tmp, "rb") as f:
        os.fsync(f.fileno())
    os.replace(tmp, path)


def _read(file: Path) -> dict:
    try:
        manifest = json.loads(file.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ResumeError(
            f"{file} is damaged ({exc}). Pass --overwrite (overwrite=True) to start again."
        ) from None
    if not isinstance(manifest, dict) or manifest.get("identity", {}).get("format") != FORMAT:
        raise ResumeError(
            f"{file} is not a bnpl-risk score manifest (format {FORMAT}). Pass a new --out."
        )
    return manifest


def _mismatch(out: Path, differ: list[str], old: dict, new: dict) -> str:
    details = []
    for key in differ:
        then, now = old.get(key), new.get(key)
        if key == "model":
            details.append(
                f"the model differs (its manifest.json had sha256 {str(then)[:12]}... then, "
                f"{str(now)[:12]}... now)"
            )
        elif key == "inputs":
            details.append(f"the input files changed ({_changed_files(then or {}, now or {})})")
        else:
            details.append(f"{_WHAT[key]} differs ({then} then, {now} now)")
    return (
        f"{out} holds parts of a different run: {'; '.join(details)}. Resuming would mix "
        "results of two runs. Score into a new --out directory, or pass --overwrite "
        "(overwrite=True) to discard the old parts."
    )


def _changed_files(then: dict, now: dict) -> str:
    """Which files of which tables were added, removed or rewritten (size or mtime)."""
    parts = []
    for table in TABLES:
        old = {f[0]: f[1:] for f in then.get(table, [])}
        new = {f[0]: f[1:] for f in now.get(table, [])}
        for verb, names in (
            ("rewritten", [n for n in new if n in old and new[n] != old[n]]),
            ("added", [n for n in new if n not in old]),
            ("removed", [n for n in old if n not in new]),
        ):
            if names:
                parts.append(f"{table}: {', '.join(Path(n).name for n in names)} {verb}")
    return "; ".join(parts)


def _remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path)
    elif path.exists():
        path.unlink()
